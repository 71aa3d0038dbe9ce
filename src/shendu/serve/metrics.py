"""Prometheus metrics (prometheus-client), one registry per app so several apps (tests) and
workers never share counters by accident."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # the *_created series double the output and say nothing a scraper needs


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("shendu_requests_total", "HTTP requests by route, method and status code",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("shendu_request_latency_seconds", "Time from request to answer, by route",
                                 ["route"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.batch_size = Histogram("shendu_batch_size", "Inputs per batch run through a model", ["model"],
                                    registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
        self.queue_depth = Gauge("shendu_queue_depth", "Inputs waiting for a batch", ["model"],
                                 registry=self.registry)
        self.inputs = Counter("shendu_predicted_inputs_total", "Inputs predicted, by model", ["model"],
                              registry=self.registry)

"""The service's settings (`shendu serve` options), one typed dataclass."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from shendu.errors import ShenduError

CONFIG_ENV = "SHENDU_SERVE_CONFIG"  # how `--workers N` hands the settings to each worker process
TOKEN_ENV = "SHENDU_TOKEN"


@dataclass
class ServeConfig:
    """Args:
        runs: the run folders to serve (nothing else is ever loaded).
        host, port: where to listen; 127.0.0.1 unless told otherwise.
        max_batch_size: the most inputs run as one batch.
        batch_timeout_ms: how long a batch waits to fill when the model is free (0: it starts at
            once; under load batches fill while the previous one runs).
        workers: uvicorn worker processes (each loads every model).
        token: a bearer token every route but ``/health`` and the page's static files requires
            (``None``: no token; ``SHENDU_TOKEN`` fills it when unset).
        max_body_bytes: bodies above this are refused with 413 before they are read in full.
        request_timeout_s: a prediction that has not finished by then answers 504.
        max_inputs: the most inputs in one request.
        graceful_timeout_s: on SIGTERM, how long in-flight requests get to finish.
        warmup: run one prediction per model before ``/ready`` says 200.
    """

    runs: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8000
    max_batch_size: int = 32
    batch_timeout_ms: float = 0.0
    workers: int = 1
    token: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    request_timeout_s: float = 30.0
    max_inputs: int = 64
    graceful_timeout_s: float = 30.0
    warmup: bool = True

    def validate(self) -> None:
        """Raise ShenduError for a setting out of range (before anything is loaded or bound)."""
        if not self.runs:
            raise ShenduError("shendu serve needs at least one run folder, e.g. `shendu serve runs/mnist-cnn-...`.")
        checks = [("--port", self.port, 0 <= self.port <= 65535, "0..65535"),
                  ("--max-batch-size", self.max_batch_size, self.max_batch_size >= 1, "at least 1"),
                  ("--batch-timeout-ms", self.batch_timeout_ms, 0 <= self.batch_timeout_ms <= 10_000, "0..10000"),
                  ("--workers", self.workers, self.workers >= 1, "at least 1"),
                  ("--max-body-bytes", self.max_body_bytes, self.max_body_bytes >= 1024, "at least 1024"),
                  ("--request-timeout", self.request_timeout_s, self.request_timeout_s > 0, "positive"),
                  ("--max-inputs", self.max_inputs, self.max_inputs >= 1, "at least 1")]
        for name, value, ok, wanted in checks:
            if not ok:
                raise ShenduError(f"{name} must be {wanted}; got {value}.")
        if self.token is not None and not self.token.strip():
            raise ShenduError("--token is empty; give a secret string, or leave --token out to serve without one.")

    def with_env_token(self) -> ServeConfig:
        """``token`` from ``SHENDU_TOKEN`` when it was not given."""
        if self.token is None and os.environ.get(TOKEN_ENV):
            self.token = os.environ[TOKEN_ENV]
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))

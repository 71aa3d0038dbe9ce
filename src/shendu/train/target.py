"""A recipe's documented goal for one metric. No torch here: `shendu list` reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """A documented goal for a metric: test accuracy >= 0.985 (``minimum``), or, for a metric
    where lower is better, word error rate <= 0.05 (``maximum``)."""

    metric: str
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if (self.minimum is None) == (self.maximum is None):
            raise ValueError("a Target has exactly one of minimum and maximum")

    def met(self, metrics: dict[str, Any]) -> bool:
        if self.maximum is not None:
            return float(metrics.get(self.metric, float("inf"))) <= self.maximum
        return float(metrics.get(self.metric, float("-inf"))) >= self.minimum  # type: ignore[operator]

    def describe(self) -> str:
        return f"{self.metric} <= {self.maximum:g}" if self.maximum is not None else f"{self.metric} >= {self.minimum:g}"

    def to_dict(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """metrics.json's ``target``: the metric, its bound and whether it was met."""
        bound = {"maximum": self.maximum} if self.maximum is not None else {"minimum": self.minimum}
        return {"metric": self.metric, **bound, "met": self.met(metrics)}

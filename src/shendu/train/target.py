"""A recipe's documented goal for one metric. No torch here: `shendu list` reads it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# metrics arrive as float32 (torchmetrics): 978/1000 is 0.97799998..., which must meet ">= 0.978"
_FLOAT32_TOLERANCE = 1e-6


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
        """Whether the metric reaches the bound; a value equal to it up to float32 rounding does."""
        bound = self.maximum if self.maximum is not None else self.minimum
        value = float(metrics.get(self.metric, float("nan")))
        if math.isnan(value):
            return False
        if math.isclose(value, bound, rel_tol=_FLOAT32_TOLERANCE, abs_tol=1e-12):  # type: ignore[arg-type]
            return True
        return value <= bound if self.maximum is not None else value >= bound  # type: ignore[operator]

    def describe(self) -> str:
        return f"{self.metric} <= {self.maximum:g}" if self.maximum is not None else f"{self.metric} >= {self.minimum:g}"

    def to_dict(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """metrics.json's ``target``: the metric, its bound and whether it was met."""
        bound = {"maximum": self.maximum} if self.maximum is not None else {"minimum": self.minimum}
        return {"metric": self.metric, **bound, "met": self.met(metrics)}

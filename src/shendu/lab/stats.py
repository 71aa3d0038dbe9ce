"""Seeds, mean and spread: how a lab experiment's per-seed numbers become its results.

An experiment returns one JSON-like dict per seed (numbers, lists of numbers, nested dicts,
``None`` for "did not happen"). :func:`aggregate` merges them key by key into the same tree
whose leaves are summaries:

- a number over seeds -> ``{"mean", "std", "min", "max", "n", "values"}`` (``std`` is the
  sample standard deviation, 0 for one seed; ``None`` values are left out of the statistics
  and counted out of ``n``, so "reached the target in 2 of 3 seeds" stays visible);
- a list of numbers (a curve) over seeds -> ``{"mean": [...], "std": [...], "n", "values"}``,
  point by point (shorter curves are padded, and their missing points ignored);
- a string -> kept when every seed agrees, else the list of them;
- a key ending in ``_trace`` (a path, a sample of the data: something to draw, not to average)
  -> the first seed's value, as it is.

Conclusions, tables and plots read these summaries, so they take their figures from the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def seed_list(first: int, count: int) -> list[int]:
    """The seeds of a run: ``first, first + 1, ..., first + count - 1``."""
    return list(range(first, first + count))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def summarize(values: Sequence[float | None]) -> dict[str, Any]:
    """Mean, sample standard deviation, min, max and count of the finite ``values``."""
    kept = [float(v) for v in values if _finite(v)]
    n = len(kept)
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0, "values": _clean(list(values))}
    mean = math.fsum(kept) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in kept) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(kept), "max": max(kept), "n": n, "values": _clean(list(values))}


def summarize_curves(curves: Sequence[Sequence[float | None]]) -> dict[str, Any]:
    """Point-by-point mean and standard deviation of several curves (seeds)."""
    length = max((len(c) for c in curves), default=0)
    points = [summarize([c[i] if i < len(c) else None for c in curves]) for i in range(length)]
    return {"mean": [p["mean"] for p in points], "std": [p["std"] for p in points], "n": len(curves),
            "values": [_clean(list(c)) for c in curves]}


def aggregate(per_seed: Sequence[Any]) -> Any:
    """Merge one result tree per seed into one tree of summaries (see the module docstring)."""
    first = per_seed[0]
    if isinstance(first, dict):
        keys = list(first)
        for tree in per_seed[1:]:
            keys += [k for k in tree if k not in keys]
        return {key: _clean(first.get(key)) if key.endswith("_trace") else aggregate([tree.get(key) for tree in per_seed])
                for key in keys}
    if isinstance(first, list | tuple) and all(v is None or _finite(v) for v in first):
        return summarize_curves([list(tree or []) for tree in per_seed])
    if isinstance(first, str):
        return first if all(tree == first for tree in per_seed) else list(per_seed)
    if isinstance(first, list | tuple):  # lists of non-numbers (names): kept as they are
        return _clean(list(first))
    return summarize(per_seed)


def _clean(value: Any) -> Any:
    """NaN and infinity become ``None``: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def clean(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays as Python numbers and lists, NaN as ``None``."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return _clean(value)


# -- reading summaries ------------------------------------------------------------------------


def mean(leaf: dict[str, Any]) -> float | None:
    return leaf["mean"]


def fmt(leaf: dict[str, Any], digits: int = 3, scale: float = 1.0, unit: str = "") -> str:
    """``"0.912 ± 0.004"`` (mean ± standard deviation over seeds); ``"—"`` when no seed has a value.

    ``digits`` are significant digits; ``scale`` multiplies both (100 for percentages).
    """
    if leaf.get("mean") is None:
        return "—"
    value, spread = leaf["mean"] * scale, (leaf.get("std") or 0.0) * scale
    text = f"{value:.{digits}g}{unit}"
    if leaf.get("n", 1) > 1:
        text += f" ± {spread:.2g}{unit}"
    return text


def pct(leaf: dict[str, Any], decimals: int = 1) -> str:
    """A share in [0, 1] as ``"96.4% ± 0.5"`` (points of percentage)."""
    if leaf.get("mean") is None:
        return "—"
    text = f"{leaf['mean'] * 100:.{decimals}f}%"
    if leaf.get("n", 1) > 1:
        text += f" ± {(leaf.get('std') or 0.0) * 100:.{decimals}f}"
    return text


def count_text(leaf: dict[str, Any]) -> str:
    """``"3 of 3 seeds"``: how many seeds have a value (e.g. reached a target)."""
    return f"{leaf['n']} of {len(leaf['values'])} seed{'s' if len(leaf['values']) != 1 else ''}"

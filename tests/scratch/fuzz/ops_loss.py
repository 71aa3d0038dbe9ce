"""Registry entries: the losses of nn.functional (cross_entropy, nll_loss, the binary cross
entropies, mse/l1/smooth_l1/huber, kl_div) with class-index and probability targets."""

from __future__ import annotations

import numpy as np

from . import generators as g
from .core import Arr, Case
from .forms import FUNCTIONAL, entries


def _reduction(rng, extra=()):
    options = ["mean", "sum", "none", *extra]
    if g.chance(rng, 0.03):
        return {"reduction": "average"}  # not a reduction: ValueError
    return {"reduction": g.pick(rng, options)} if g.chance(rng, 0.7) else {}


def _dtype(rng) -> str:
    return g.draw_dtype(rng, g.FLOATS, odd=0.02)


def _class_problem(rng, dtype: str):
    """Scores (N, C), (C,) or (N, C, d1[, d2]) and the matching int64 class targets."""
    classes = int(rng.integers(1, 5))
    r = rng.random()
    batch = (int(rng.integers(0 if g.chance(rng, 0.05) else 1, 4)),)
    if r < 0.15:
        scores_shape, target_shape = (classes,), ()
    elif r < 0.7:
        scores_shape, target_shape = batch + (classes,), batch
    else:
        extra = g.draw_shape(rng, min_ndim=1, max_ndim=2, max_size=3, zero=0.0)
        scores_shape, target_shape = batch + (classes,) + extra, batch + extra
    if g.chance(rng, 0.04):
        target_shape = target_shape + (2,)
    scores = g.tensor(rng, scores_shape, dtype, low=-3, high=3)
    target = g.index_tensor(rng, target_shape, classes, bad=0.02)
    return scores, target, classes


def _class_kwargs(rng, target: Arr, classes: int, dtype: str) -> dict:
    kwargs = _reduction(rng)
    if g.chance(rng, 0.4):
        kwargs["weight"] = g.tensor(rng, (classes if g.chance(rng, 0.97) else classes + 1,), dtype, low=0.2, high=2.0)
    if g.chance(rng, 0.3) and target.array.size:
        ignore = int(g.pick(rng, [-100, 0, classes - 1, -1]))
        kwargs["ignore_index"] = ignore
        mask = rng.random(target.array.shape) < 0.3
        target.array[mask] = ignore
    return kwargs


def cross_entropy(rng):
    dtype = _dtype(rng)
    scores, target, classes = _class_problem(rng, dtype)
    if g.chance(rng, 0.3):  # class probabilities, shaped like the scores
        shape = scores.array.shape if g.chance(rng, 0.95) else scores.array.shape[:-1] + (classes + 1,)
        target = g.tensor(rng, shape, dtype, low=0.0, high=1.0, grad=0.5)
        kwargs = _reduction(rng)
        if g.chance(rng, 0.3):
            kwargs["weight"] = g.tensor(rng, (classes,), dtype, low=0.2, high=2.0)
    else:
        kwargs = _class_kwargs(rng, target, classes, dtype)
    if g.chance(rng, 0.3):
        kwargs["label_smoothing"] = float(g.pick(rng, [0.1, 0.25, 0.0, 1.0] + ([1.5] if g.chance(rng, 0.1) else [])))
    return Case((scores, target), kwargs)


def nll_loss(rng):
    dtype = _dtype(rng)
    scores, target, classes = _class_problem(rng, dtype)
    if g.chance(rng, 0.03):
        target = Arr(target.array.astype(np.float32))
    return Case((scores, target), _class_kwargs(rng, target, classes, dtype))


def _pair(rng, low: float, high: float, target_low: float, target_high: float):
    dtype = _dtype(rng)
    shape = g.draw_shape(rng)
    x = g.tensor(rng, shape, dtype, low=low, high=high, ties=0.1)
    target_shape = shape if g.chance(rng, 0.85) else g.broadcast_partner(rng, shape)
    target = g.tensor(rng, target_shape, dtype if g.chance(rng, 0.95) else g.draw_dtype(rng), low=target_low,
                      high=target_high, grad=0.5, ties=0.1)
    return x, target, dtype


def binary_cross_entropy(rng):
    x, target, dtype = _pair(rng, 0.02, 0.98, 0.0, 1.0)
    kwargs = _reduction(rng)
    if g.chance(rng, 0.3):
        kwargs["weight"] = g.tensor(rng, g.broadcast_partner(rng, x.array.shape, bad=0.02), dtype, low=0.0, high=2.0)
    return Case((x, target), kwargs)


def binary_cross_entropy_with_logits(rng):
    x, target, dtype = _pair(rng, -4.0, 4.0, 0.0, 1.0)
    kwargs = _reduction(rng)
    if g.chance(rng, 0.3):
        kwargs["weight"] = g.tensor(rng, g.broadcast_partner(rng, x.array.shape, bad=0.02), dtype, low=0.0, high=2.0)
    if g.chance(rng, 0.3):
        last = x.array.shape[-1:] if x.array.ndim else ()
        kwargs["pos_weight"] = g.tensor(rng, last if g.chance(rng, 0.9) else (), dtype, low=0.2, high=3.0)
    return Case((x, target), kwargs)


def regression(parameter: str | None = None):
    def draw(rng):
        x, target, _ = _pair(rng, -3.0, 3.0, -3.0, 3.0)
        kwargs = _reduction(rng)
        if parameter and g.chance(rng, 0.5):
            kwargs[parameter] = float(g.pick(rng, [0.5, 1.0, 2.0, 0.0] + ([-1.0] if g.chance(rng, 0.1) else [])))
        return Case((x, target), kwargs)

    return draw


def kl_div(rng):
    log_target = g.chance(rng, 0.3)
    x, target, _ = _pair(rng, -3.0, 0.0, -3.0 if log_target else 0.0, 0.0 if log_target else 1.0)
    kwargs = _reduction(rng, extra=("batchmean",))
    if log_target or g.chance(rng, 0.2):
        kwargs["log_target"] = log_target
    return Case((x, target), kwargs)


def build() -> list:
    ops = []
    ops += entries("cross_entropy", cross_entropy, (FUNCTIONAL,))
    ops += entries("nll_loss", nll_loss, (FUNCTIONAL,))
    ops += entries("binary_cross_entropy", binary_cross_entropy, (FUNCTIONAL,))
    ops += entries("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits, (FUNCTIONAL,))
    ops += entries("mse_loss", regression(), (FUNCTIONAL,))
    ops += entries("l1_loss", regression(), (FUNCTIONAL,))
    ops += entries("smooth_l1_loss", regression("beta"), (FUNCTIONAL,))
    ops += entries("huber_loss", regression("delta"), (FUNCTIONAL,))
    ops += entries("kl_div", kl_div, (FUNCTIONAL,))
    return ops

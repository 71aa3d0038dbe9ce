"""Dropout: zero elements at random and rescale the rest (a composite: x * mask)."""

from __future__ import annotations

import math

import numpy as np

from .. import rng
from ..tensor import Tensor
from .elementwise import Mul


def _keep_mask(shape: tuple, p: float, dtype: np.dtype) -> np.ndarray:
    """1 / (1 - p) where a uniform 32-bit draw is >= p * 2^32 (probability 1 - p to within 2^-32), else 0.

    Raw bits from the generator cost half of what `random(dtype=float32)` does.
    """
    size = math.prod(shape)
    bits = rng.default_generator().bit_generator.random_raw(-(-size // 2)).view(np.uint32)[:size]
    keep = bits >= np.uint32(min(round(p * 2.0**32), 2**32 - 1))
    return (keep * dtype.type(1.0 / (1.0 - p))).reshape(shape)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout).

    Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", 2014.
    As torch, x itself comes back when nothing is dropped (p=0, training=False, or an empty x),
    and p=1 zeros any dtype; otherwise x must be float (the scale 1/(1-p) is).

    Raises:
        ValueError: p outside [0, 1].
        RuntimeError: 0 < p < 1 in training on a non-empty integer or bool tensor.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or x.data.size == 0:
        return x
    if p == 1.0:
        mask = np.zeros(x.shape, x.dtype)
    elif x.dtype.kind != "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {x.dtype}: dropout scales the kept "
            f"elements by 1/(1-p) = {1.0 / (1.0 - p):.4g}, so it needs a float input; got {x.dtype}; "
            f"convert first, e.g. `x.float()`"
        )
    else:
        mask = _keep_mask(x.shape, p, x.dtype)  # (same shape as x)
    return Mul()(x, Tensor(mask))

"""Tensor factories: tensor, zeros, ones, full, randn, rand, randint, arange, eye, *_like."""

from __future__ import annotations

import numpy as np

from . import rng
from .tensor import Tensor


def _size(size) -> tuple:
    # Accept zeros(2, 3) as well as zeros((2, 3)).
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _float(dtype):
    return np.float32 if dtype is None else dtype


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (lists, scalars, arrays, tensors)."""
    source = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(source, copy=True) if isinstance(source, np.ndarray) else source,
                  dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array`, keeping its dtype."""
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_size(size), _float(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_size(size), _float(dtype)), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.full(tuple(size), fill_value, _float(dtype)), requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(t.shape, dtype or t.dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(t.shape, dtype or t.dtype), requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal samples from the module generator (see `manual_seed`)."""
    gen = generator or rng.default_generator()
    return Tensor(gen.standard_normal(_size(size), dtype=_float(dtype)), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    gen = generator or rng.default_generator()
    return Tensor(gen.random(_size(size), dtype=_float(dtype)), requires_grad=requires_grad)


def randint(low: int, high: int, size, generator=None) -> Tensor:
    """Integers uniform on [low, high), int64."""
    gen = generator or rng.default_generator()
    return Tensor(gen.integers(low, high, size=tuple(size), dtype=np.int64))


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    """Like torch.arange: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    return Tensor(np.arange(start, end, step, dtype=dtype or (np.int64 if integral else np.float32)))


def eye(n: int, m: int | None = None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_float(dtype)))

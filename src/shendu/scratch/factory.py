"""Tensor factories: tensor, zeros, ones, full, randn, rand, randint, arange, eye, *_like."""

from __future__ import annotations

import math

import numpy as np

from . import rng
from .tensor import Tensor


def _size(size) -> tuple:
    # Accept zeros(2, 3) as well as zeros((2, 3)); torch refuses negative sizes with a RuntimeError.
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
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


def _number_dtype(value):
    # torch infers full()'s dtype from the fill value: bool, int64, or the default float32.
    if isinstance(value, (bool, np.bool_)):
        return np.bool_
    if isinstance(value, (int, np.integer)):
        return np.int64
    return np.float32


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (7 -> int64,
    7.0 -> float32, True -> bool) unless given, as in torch."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = dtype or _number_dtype(fill_value)
    return Tensor(np.full(_size((size,) if isinstance(size, (int, np.integer)) else tuple(size)), fill_value, dtype),
                  requires_grad=requires_grad)


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


def randint(low: int, high, size=None, generator=None) -> Tensor:
    """Integers uniform on [low, high), int64; randint(high, size) draws from [0, high), as torch.

    Raises:
        RuntimeError: high <= low.
    """
    if size is None:
        low, high, size = 0, low, high
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    gen = generator or rng.default_generator()
    return Tensor(gen.integers(low, high, size=tuple(size), dtype=np.int64))


def _arange_number(v):
    return v.item() if isinstance(v, (Tensor, np.ndarray, np.generic)) else v


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like torch.arange: int64 when every argument is an integer, float32 otherwise.

    The values are computed in float64 (start + i * step) and then cast, as torch does, so
    float32 results do not drift; the length is ceil((end - start) / step).

    Raises:
        RuntimeError: step is 0, or its sign does not lead from start to end.
    """
    if end is None:
        start, end = 0, start
    start, end, step = _arange_number(start), _arange_number(end), _arange_number(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"upper bound and larger bound inconsistent with step sign; got start={start}, "
            f"end={end}, step={step}"
        )
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step))
    dtype = np.dtype(dtype or (np.int64 if integral else np.float32))
    if dtype.kind in "iub":  # torch steps in the integer dtype: start and step are truncated first
        count = max(int(math.ceil((end - start) / step)), 0)
        values = (int(start) + int(step) * np.arange(count, dtype=np.int64)).astype(dtype)
    else:
        count = max(int(math.ceil((end - start) / step)), 0)
        values = (start + np.arange(count, dtype=np.float64) * step).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None) -> Tensor:
    """The (n, m) identity (m defaults to n); RuntimeError for a negative n or m, as torch."""
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return Tensor(np.eye(n, m, dtype=_float(dtype)))

"""Random arguments: shapes with 0-d, size-0 and size-1 dims, broadcasting partners, dims
(negative and out of range), dtypes, values with ties and special numbers, Python scalars.

Each drawer takes a numpy Generator and returns engine-neutral values (see core.py). A small
share of every draw is invalid on purpose (a shape that does not broadcast, a dim out of
range, a dtype the op refuses), so that the exception types are compared too.
"""

from __future__ import annotations

import numpy as np

from .core import Arr

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
DTYPES = ("bool", "int32", "int64", "float32", "float64")
_DTYPE_WEIGHTS = np.array([0.1, 0.1, 0.15, 0.3, 0.35])


def chance(rng, p: float) -> bool:
    return bool(rng.random() < p)


def pick(rng, options):
    """One element of `options` (any sequence), uniformly."""
    return options[int(rng.integers(len(options)))]


def draw_dtype(rng, allowed=DTYPES, odd: float = 0.0) -> str:
    """A dtype name; float-heavy. With probability `odd`, any of DTYPES (maybe one the op refuses)."""
    pool = DTYPES if chance(rng, odd) else allowed
    weights = np.array([_DTYPE_WEIGHTS[DTYPES.index(d)] if d in DTYPES else 0.1 for d in pool])
    return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]


def draw_shape(rng, min_ndim: int = 0, max_ndim: int = 4, max_size: int = 4, zero: float = 0.06) -> tuple:
    """A shape of min_ndim..max_ndim dims: mostly 1..max_size, some size 1, some size 0."""
    ndim = int(rng.integers(min_ndim, max_ndim + 1))
    dims = []
    for _ in range(ndim):
        r = rng.random()
        dims.append(0 if r < zero else 1 if r < zero + 0.25 else int(rng.integers(2, max_size + 1)))
    return tuple(dims)


def broadcast_partner(rng, shape: tuple, bad: float = 0.05) -> tuple:
    """A shape that broadcasts with `shape`: some dims 1, some leading dims dropped or added;
    with probability `bad`, one that does not."""
    other = [1 if chance(rng, 0.3) else n for n in shape]
    if other and chance(rng, 0.5):
        other = other[int(rng.integers(0, len(other) + 1)):]
    if chance(rng, 0.15):
        other = [int(rng.integers(1, 3))] + other
    if chance(rng, bad):
        if other and any(n > 1 for n in other):
            i = pick(rng, [i for i, n in enumerate(other) if n > 1])
            other[i] += 1
        else:
            other = other + [5] if shape and shape[-1] not in (1, 5) else [2, 3, 5]
    return tuple(other)


def values(rng, shape: tuple, dtype: str, low: float = -2.0, high: float = 2.0, *, ties: float = 0.2,
           special: float = 0.0, distinct: bool = False) -> np.ndarray:
    """Values of `dtype`: uniform on [low, high], or (probability `ties`) small integers with
    repeats; `special` is the share of cases that also hold nan, inf and -0.0;
    `distinct` gives pairwise different values (for ops whose tie order torch leaves open)."""
    size = int(np.prod(shape))
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INTS or dtype in ("uint8", "int8", "int16"):
        lo = int(np.floor(low)) if dtype != "uint8" else 0
        if distinct:
            return np.asarray(rng.permutation(size).reshape(shape) + lo).astype(dtype)
        return np.asarray(rng.integers(lo, int(np.ceil(high)) + 1, size=shape)).astype(dtype)
    if distinct:
        grid = np.linspace(low, high, max(size, 1) + 2)[1:-1]
        array = rng.permutation(grid)[:size].reshape(shape)
        if size > 1 and chance(rng, 0.5):  # move off the regular grid
            array = array + rng.uniform(0, 0.1 / max(size, 1) * (high - low), size=shape)
    elif chance(rng, ties):
        lo, hi = int(np.ceil(low)), int(np.floor(high))
        grid = np.arange(lo, hi + 1.0) if hi > lo else np.linspace(low, high, 4)
        array = rng.choice(grid, size=shape)
    else:
        array = rng.uniform(low, high, size=shape)
    if size and chance(rng, special):
        flat = array.reshape(-1)
        for _ in range(int(rng.integers(1, 3))):
            flat[int(rng.integers(size))] = pick(rng, [np.nan, np.inf, -np.inf, -0.0])
    return np.asarray(array).astype(dtype)


def tensor(rng, shape: tuple, dtype: str, grad: float = 0.9, **kw) -> Arr:
    """An Arr of `shape` and `dtype`; float tensors require grad with probability `grad`."""
    return Arr(values(rng, shape, dtype, **kw), grad=dtype in FLOATS and chance(rng, grad))


def draw_dim(rng, ndim: int, bad: float = 0.05) -> int:
    """A dim in [-ndim, ndim) (0-d tensors take 0 and -1, as in torch), or out of range."""
    n = max(ndim, 1)
    if chance(rng, bad):
        return pick(rng, [n, -n - 1, n + 1])
    return int(rng.integers(-n, n))


def draw_dims(rng, ndim: int, bad: float = 0.05, empty: float = 0.05):
    """None, one dim, or a tuple of distinct dims (rarely a repeated or empty one)."""
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.55:
        return draw_dim(rng, ndim, bad)
    if chance(rng, empty):
        return ()
    n = max(ndim, 1)
    count = int(rng.integers(1, n + 1))
    dims = [int(d) for d in rng.permutation(n)[:count]]
    dims = [d - n if chance(rng, 0.4) else d for d in dims]
    if chance(rng, bad):
        dims.append(pick(rng, [dims[0], n]))  # a repeat or one out of range
    return tuple(dims) if chance(rng, 0.8) else list(dims)


def scalar(rng, kinds=("int", "float", "bool"), low: float = -2.0, high: float = 2.0):
    """A Python number: int, float (sometimes integral, like 2.0) or bool."""
    kind = pick(rng, kinds)
    if kind == "bool":
        return chance(rng, 0.5)
    if kind == "int":
        return int(rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1))
    return float(rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1)) if chance(rng, 0.2) \
        else float(np.round(rng.uniform(low, high), 3))


def operand(rng, shape: tuple, dtype: str | None = None, scalar_share: float = 0.2, zero_d: float = 0.1,
            **kw):
    """The second operand of a binary op: a tensor broadcasting with `shape`, a 0-d tensor,
    or a Python number."""
    r = rng.random()
    if r < scalar_share:
        return scalar(rng, low=kw.get("low", -2.0), high=kw.get("high", 2.0))
    dtype = dtype or draw_dtype(rng)
    other = () if r < scalar_share + zero_d else broadcast_partner(rng, shape)
    return tensor(rng, other, dtype, **kw)


def index_tensor(rng, shape: tuple, size: int, bad: float = 0.03) -> Arr:
    """int64 indices into a dim of length `size` (negative ones included, as torch allows
    only where it does); rarely one out of range."""
    if size == 0:
        array = np.zeros(shape, np.int64)
    else:
        array = rng.integers(0, size, size=shape).astype(np.int64)
    if array.size and chance(rng, bad):
        array.reshape(-1)[0] = pick(rng, [size, -size - 1, size + 3])
    return Arr(array)

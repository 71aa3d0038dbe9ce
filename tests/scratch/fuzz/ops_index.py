"""Registry entries: x[index], x[index] = value, gather, scatter_add, index_select,
masked_select, nonzero, narrow, unbind."""

from __future__ import annotations

import numpy as np

from . import generators as g
from .core import Arr, Case
from .forms import custom, entries


def index_item(rng, shape: tuple, dim: int):
    """One random index item for dim `dim` of `shape`, and how many dims it consumes."""
    size = shape[dim] if dim < len(shape) else 3
    r = rng.random()
    if r < 0.2:
        return int(rng.integers(-size - 1, size + 1)) if size else 0, 1
    if r < 0.4:
        def bound():
            return None if g.chance(rng, 0.3) else int(rng.integers(-size - 2, size + 3))
        step = None if g.chance(rng, 0.5) else int(rng.integers(1, 4)) if g.chance(rng, 0.97) else 0
        return slice(bound(), bound(), step), 1
    if r < 0.5:
        return None, 0
    if r < 0.55:
        return Ellipsis, 0
    if r < 0.65:
        return (rng.integers(-size, max(size, 1), size=int(rng.integers(0, 4))).tolist() if size else []), 1
    if r < 0.78:
        index_shape = g.draw_shape(rng, max_ndim=2, max_size=2, zero=0.0)
        values = rng.integers(-size, max(size, 1), size=index_shape) if size else np.zeros(index_shape, np.int64)
        return Arr(np.asarray(values, np.int64 if g.chance(rng, 0.95) else np.float32)), 1
    if r < 0.9:
        n = min(int(rng.integers(1, 3)), max(len(shape) - dim, 1))
        mask_shape = tuple(shape[dim:dim + n]) if dim + n <= len(shape) else (size,)
        if g.chance(rng, 0.05):
            mask_shape = (size + 1,)
        return Arr(np.asarray(rng.random(mask_shape) < 0.5)), len(mask_shape)
    if r < 0.95:
        return g.chance(rng, 0.7), 0
    return Arr(np.asarray(int(rng.integers(-size, max(size, 1))) if size else 0)), 1


def draw_index(rng, shape: tuple):
    items, dim = [], 0
    for _ in range(int(rng.integers(1, len(shape) + 2))):
        item, used = index_item(rng, shape, dim)
        items.append(item)
        dim += used
    return tuple(items) if len(items) != 1 or g.chance(rng, 0.5) else items[0]


def getitem(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng))
    return Case((x, draw_index(rng, x.array.shape)))


def setitem_call(engine, x, index, value):
    x[index] = value
    return x


def setitem(rng):
    """A copy of x is written; nothing requires grad (scratch's in-place ops stay outside the graph)."""
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), grad=0.0)
    index = draw_index(rng, x.array.shape)
    r = rng.random()
    if r < 0.4:
        value = g.scalar(rng)
    else:
        value = g.tensor(rng, () if r < 0.7 else g.draw_shape(rng, max_ndim=2, max_size=3), g.draw_dtype(rng),
                         grad=0.0)
    return Case((x, index, value))


def gather(rng):
    x = g.tensor(rng, g.draw_shape(rng, min_ndim=0 if g.chance(rng, 0.1) else 1), g.draw_dtype(rng))
    ndim = x.array.ndim
    dim = g.draw_dim(rng, ndim)
    d = dim % max(ndim, 1)
    shape = tuple(int(rng.integers(0, n + 1)) if i != d else int(rng.integers(0, 4)) for i, n in enumerate(x.array.shape))
    if g.chance(rng, 0.05):
        shape = shape + (1,)
    size = x.array.shape[d] if ndim else 1
    return Case((x, dim, g.index_tensor(rng, shape, size)))


def scatter_add(rng):
    x = g.tensor(rng, g.draw_shape(rng, min_ndim=0 if g.chance(rng, 0.1) else 1), g.draw_dtype(rng))
    ndim = x.array.ndim
    dim = g.draw_dim(rng, ndim)
    d = dim % max(ndim, 1)
    src_shape = tuple(int(rng.integers(0, n + 2)) if i == d else n for i, n in enumerate(x.array.shape))
    index_shape = src_shape if g.chance(rng, 0.5) else tuple(int(rng.integers(0, n + 1)) for n in src_shape)
    size = x.array.shape[d] if ndim else 1
    src_dtype = x.array.dtype.name if g.chance(rng, 0.9) else g.draw_dtype(rng)
    return Case((x, dim, g.index_tensor(rng, index_shape, size), g.tensor(rng, src_shape, src_dtype)))


def index_select(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng))
    dim = g.draw_dim(rng, x.array.ndim)
    size = x.array.shape[dim] if x.array.ndim and -x.array.ndim <= dim < x.array.ndim else 1
    shape = (int(rng.integers(0, 5)),) if g.chance(rng, 0.85) else g.pick(rng, [(), (2, 2)])
    return Case((x, dim, g.index_tensor(rng, shape, size)))


def masked_select(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng))
    mask = g.tensor(rng, g.broadcast_partner(rng, x.array.shape), "bool" if g.chance(rng, 0.95) else "int64")
    return Case((x, mask))


def nonzero(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), grad=0.0, ties=0.6)
    return Case((x,), {"as_tuple": g.chance(rng, 0.5)} if g.chance(rng, 0.6) else {})


def narrow(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng))
    dim = g.draw_dim(rng, x.array.ndim)
    size = x.array.shape[dim] if x.array.ndim and -x.array.ndim <= dim < x.array.ndim else 0
    start = int(rng.integers(-size, size + 1)) if size else 0
    length = int(rng.integers(0, size - (start % size if size else 0) + 1)) if not g.chance(rng, 0.05) else size + 1
    return Case((x, dim, start, length))


def unbind(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng))
    return Case((x, g.draw_dim(rng, x.array.ndim))) if g.chance(rng, 0.7) else Case((x,))


def build() -> list:
    ops = [
        custom("Tensor.__getitem__", lambda e, x, index: x[index], getitem),
        custom("Tensor.__setitem__", lambda e, x, index, value: setitem_call(e, x.clone(), index, value), setitem),
    ]
    ops += entries("gather", gather)
    ops += entries("scatter_add", scatter_add)
    ops += entries("index_select", index_select)
    ops += entries("masked_select", masked_select)
    ops += entries("nonzero", nonzero)
    ops += entries("narrow", narrow)
    ops += entries("unbind", unbind)
    return ops

"""Registry entries: shape ops (reshape/view, permute, transpose, flatten, (un)squeeze, expand,
cat, stack, split, chunk, flip, repeat, tril/triu) and matmul/mm/bmm."""

from __future__ import annotations

import torch

from . import generators as g
from .core import Case
from .forms import LIB, call_functional, custom, entries


def _x(rng, max_ndim: int = 4, dtypes=g.DTYPES, **kw):
    return g.tensor(rng, g.draw_shape(rng, max_ndim=max_ndim), g.draw_dtype(rng, dtypes), **kw)


def target_shape(rng, shape: tuple, bad: float = 0.05) -> tuple:
    """A shape with the same number of elements (maybe one -1), or rarely one without."""
    numel = 1
    for n in shape:
        numel *= n
    factors, n, p = [], numel, 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    dims = [1] * int(rng.integers(1, 4))
    for f in factors:
        dims[int(rng.integers(len(dims)))] *= f
    if numel == 0:
        dims[int(rng.integers(len(dims)))] = 0
    dims = [int(d) for d in rng.permutation(dims)]
    if g.chance(rng, 0.15):
        dims = [d for d in dims if d != 1] or ([] if numel == 1 else dims)
    if dims and g.chance(rng, 0.3):
        dims[int(rng.integers(len(dims)))] = -1
    if g.chance(rng, bad):
        dims.append(2 if numel else 3)
    return tuple(dims)


def reshape(rng):
    x = _x(rng)
    return Case((x, target_shape(rng, x.array.shape)))


def _spread(rng, x, sizes):
    """x.f(*sizes) or x.f(sizes)."""
    return Case((x, *sizes)) if sizes and g.chance(rng, 0.6) else Case((x, tuple(sizes)))


def reshape_method(rng):
    x = _x(rng)
    return _spread(rng, x, target_shape(rng, x.array.shape))


def like(rng):
    """x and a tensor whose shape x takes (view_as, reshape_as)."""
    x = _x(rng)
    shape = target_shape(rng, x.array.shape)
    known = 1
    for d in shape:
        known *= d if d != -1 else 1
    inferred = x.array.size // known if known else 0
    return Case((x, g.tensor(rng, tuple(inferred if d == -1 else d for d in shape), "float32", grad=0.0)))


def _permutation(rng, ndim: int, bad: float = 0.05) -> tuple:
    dims = [int(d) - ndim if g.chance(rng, 0.3) else int(d) for d in rng.permutation(ndim)]
    if g.chance(rng, bad):
        dims = dims[:-1] if dims and g.chance(rng, 0.5) else dims + [0]
    return tuple(dims)


def permute(rng):
    x = _x(rng)
    return Case((x, _permutation(rng, x.array.ndim)))


def permute_method(rng):
    x = _x(rng)
    return _spread(rng, x, _permutation(rng, x.array.ndim))


def transpose(rng):
    x = _x(rng)
    return Case((x, g.draw_dim(rng, x.array.ndim), g.draw_dim(rng, x.array.ndim)))


def flatten(rng):
    x = _x(rng)
    kwargs = {}
    if g.chance(rng, 0.7):
        kwargs["start_dim"] = g.draw_dim(rng, x.array.ndim)
    if g.chance(rng, 0.7):
        kwargs["end_dim"] = g.draw_dim(rng, x.array.ndim)
    return Case((x,), kwargs)


def unsqueeze(rng):
    x = _x(rng)
    return Case((x, g.draw_dim(rng, x.array.ndim + 1)))


def squeeze(rng):
    x = _x(rng)
    r = rng.random()
    if r < 0.3:
        return Case((x,))
    dims = g.draw_dims(rng, x.array.ndim)
    return Case((x, dims)) if dims is not None else Case((x,))


def expand_sizes(rng, shape: tuple, bad: float = 0.05) -> list:
    sizes = [int(rng.integers(0, 4)) if n == 1 and g.chance(rng, 0.6) else (-1 if g.chance(rng, 0.3) else n)
             for n in shape]
    sizes = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 2)))] + sizes
    if g.chance(rng, bad):
        sizes = sizes[1:] if sizes else [-1]
    return sizes


def expand(rng):
    x = _x(rng)
    return _spread(rng, x, expand_sizes(rng, x.array.shape))


def expand_as(rng):
    x = _x(rng)
    sizes = expand_sizes(rng, x.array.shape)
    lead = len(sizes) - x.array.ndim
    shape = tuple(x.array.shape[i - lead] if s == -1 and i >= lead else max(s, 1) for i, s in enumerate(sizes))
    return Case((x, g.tensor(rng, shape, "float32", grad=0.0)))


def cat(rng):
    shape = list(g.draw_shape(rng, min_ndim=1))
    dim = g.draw_dim(rng, len(shape))
    tensors = []
    for _ in range(int(rng.integers(0 if g.chance(rng, 0.03) else 1, 4))):
        piece = list(shape)
        if -len(shape) <= dim < len(shape):
            piece[dim] = int(rng.integers(0, 4))
        if g.chance(rng, 0.05):
            piece[0] += 1
        dtype = g.draw_dtype(rng) if g.chance(rng, 0.3) else "float64"
        tensors.append(g.tensor(rng, tuple(piece), dtype) if not g.chance(rng, 0.05)
                       else g.tensor(rng, (0,), dtype))
    return Case((tensors, dim)) if g.chance(rng, 0.6) else Case((tensors,), {"dim": dim})


def stack(rng):
    shape = g.draw_shape(rng, max_ndim=3)
    dim = g.draw_dim(rng, len(shape) + 1)
    tensors = []
    for _ in range(int(rng.integers(0 if g.chance(rng, 0.03) else 1, 4))):
        piece = shape if not g.chance(rng, 0.05) else shape + (1,)
        dtype = g.draw_dtype(rng) if g.chance(rng, 0.3) else "float32"
        tensors.append(g.tensor(rng, piece, dtype))
    return Case((tensors, dim)) if g.chance(rng, 0.6) else Case((tensors,), {"dim": dim})


def split(rng):
    x = _x(rng, special=0.0)
    dim = g.draw_dim(rng, x.array.ndim)
    size = x.array.shape[dim] if x.array.ndim and -x.array.ndim <= dim < x.array.ndim else 1
    if g.chance(rng, 0.5):
        sections = int(rng.integers(0 if g.chance(rng, 0.05) else 1, size + 2))
    else:
        sections, left = [], size
        while left > 0:
            sections.append(int(rng.integers(0, left + 1)))
            left -= sections[-1]
        if g.chance(rng, 0.1):
            sections.append(1)
    return Case((x, sections, dim)) if g.chance(rng, 0.6) else Case((x, sections), {"dim": dim})


def chunk(rng):
    x = _x(rng, special=0.0)
    chunks = int(rng.integers(0 if g.chance(rng, 0.05) else 1, 6))
    dim = g.draw_dim(rng, x.array.ndim)
    return Case((x, chunks, dim)) if g.chance(rng, 0.6) else Case((x, chunks), {"dim": dim})


def flip(rng):
    x = _x(rng)
    dims = g.draw_dims(rng, x.array.ndim)
    dims = (g.draw_dim(rng, x.array.ndim),) if dims is None else dims if isinstance(dims, (tuple, list)) else (dims,)
    return Case((x, dims))


def flip_method(rng):
    case = flip(rng)
    x, dims = case.args
    return _spread(rng, x, dims) if dims else Case((x, dims))


def repeat(rng):
    x = _x(rng, max_ndim=3)
    sizes = [int(rng.integers(0, 4)) for _ in range(x.array.ndim + int(rng.integers(-1 if g.chance(rng, 0.1) else 0, 2)))]
    return _spread(rng, x, sizes) if sizes else Case((x, ()))


def triangle(rng):
    x = g.tensor(rng, g.draw_shape(rng, min_ndim=1 if g.chance(rng, 0.1) else 2), g.draw_dtype(rng))
    return Case((x, int(rng.integers(-3, 4)))) if g.chance(rng, 0.7) else Case((x,))


def matmul_shapes(rng) -> tuple:
    n, k, m = (int(rng.integers(0 if g.chance(rng, 0.05) else 1, 4)) for _ in range(3))
    batch = g.draw_shape(rng, max_ndim=2, max_size=3)
    r = rng.random()
    if r < 0.15:
        a, b = (k,), (k,)
    elif r < 0.3:
        a, b = (k,), batch + (k, m)
    elif r < 0.45:
        a, b = batch + (n, k), (k,)
    elif r < 0.65:
        a, b = (n, k), (k, m)
    else:
        a, b = batch + (n, k), g.broadcast_partner(rng, batch, bad=0.02) + (k, m)
    if g.chance(rng, 0.05):
        b = b[:-2] + (b[-2] + 1,) + b[-1:] if len(b) >= 2 else (b[0] + 1,)
    if g.chance(rng, 0.03):
        a = ()
    return a, b


def _float_pair(rng):
    dtype = g.draw_dtype(rng, g.FLOATS, odd=0.05)
    return dtype, (dtype if g.chance(rng, 0.95) else g.draw_dtype(rng))


def matmul(rng):
    a, b = matmul_shapes(rng)
    da, db = _float_pair(rng)
    return Case((g.tensor(rng, a, da), g.tensor(rng, b, db)))


def mm(rng):
    n, k, m = (int(rng.integers(0 if g.chance(rng, 0.05) else 1, 4)) for _ in range(3))
    a, b = (n, k), (k if g.chance(rng, 0.95) else k + 1, m)
    if g.chance(rng, 0.05):
        a = (2,) + a
    da, db = _float_pair(rng)
    return Case((g.tensor(rng, a, da), g.tensor(rng, b, db)))


def bmm(rng):
    batch, n, k, m = (int(rng.integers(0 if g.chance(rng, 0.05) else 1, 4)) for _ in range(4))
    a, b = (batch, n, k), (batch if g.chance(rng, 0.95) else batch + 1, k, m)
    if g.chance(rng, 0.05):
        a = a[1:]
    da, db = _float_pair(rng)
    return Case((g.tensor(rng, a, da), g.tensor(rng, b, db)))


def build() -> list:
    ops = []
    ops += entries("reshape", reshape, (LIB,))
    ops += [custom(f"Tensor.{n}", lambda e, x, *s, n=n: getattr(x, n)(*s), reshape_method) for n in ("reshape", "view")]
    ops += [custom(f"Tensor.{n}", lambda e, x, o, n=n: getattr(x, n)(o), like) for n in ("view_as", "reshape_as")]
    ops += entries("permute", permute, (LIB,))
    ops.append(custom("Tensor.permute", lambda e, x, *d: x.permute(*d), permute_method))
    ops += entries("transpose", transpose, methods=("swapaxes", "swapdims"))
    ops.append(custom("Tensor.t", lambda e, x: x.t(), lambda rng: Case((_x(rng, max_ndim=3),))))
    ops.append(custom("Tensor.T", lambda e, x: x.T, lambda rng: Case((_x(rng, max_ndim=2),))))
    ops += entries("flatten", flatten)
    ops.append(custom("F.flatten", call_functional("flatten", torch.flatten), flatten))  # torch: torch.flatten
    ops += entries("unsqueeze", unsqueeze)
    ops += entries("squeeze", squeeze)
    ops.append(custom("Tensor.expand", lambda e, x, *s: x.expand(*s), expand))
    ops.append(custom("Tensor.expand_as", lambda e, x, o: x.expand_as(o), expand_as))
    ops += entries("cat", cat, (LIB,))
    ops += entries("stack", stack, (LIB,))
    ops += entries("split", split)
    ops += entries("chunk", chunk)
    ops += entries("flip", flip, (LIB,))
    ops.append(custom("Tensor.flip", lambda e, x, *d: x.flip(*d), flip_method))
    ops.append(custom("Tensor.repeat", lambda e, x, *s: x.repeat(*s), repeat))
    ops += entries("tril", triangle)
    ops += entries("triu", triangle)
    ops += entries("matmul", matmul)
    ops.append(custom("Tensor.__matmul__", lambda e, a, b: a @ b, matmul))
    ops.append(custom("Tensor.__rmatmul__", lambda e, a, b: b.__rmatmul__(a), matmul))
    ops.append(custom("Tensor.mm", lambda e, a, b: a.mm(b), mm))
    ops.append(custom("Tensor.bmm", lambda e, a, b: a.bmm(b), bmm))
    return ops


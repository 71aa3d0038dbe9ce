"""Registry entries: reductions (sum, mean, prod, var, std, norm, logsumexp, any/all, amax/amin,
max/min, argmax/argmin), cumsum, softmax/log_softmax, and sort/argsort/topk."""

from __future__ import annotations

from . import generators as g
from .core import Case, DType
from .forms import FUNCTIONAL, LIB, METHOD, entries


def _x(rng, dtypes=g.DTYPES, odd=0.15, **kw):
    return g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng, dtypes, odd), **kw)


def _dim_kwargs(rng, x, dims: bool = True, keepdim: bool = True, required: bool = False):
    """(extra positional args, kwargs) for dim/keepdim, spelled positionally or by keyword."""
    ndim = x.array.ndim
    dim = g.draw_dims(rng, ndim) if dims else g.draw_dim(rng, ndim)
    if dim is None and required:
        dim = g.draw_dim(rng, ndim)
    if dim is None:  # torch has no keepdim without a dim (sum(x, keepdim=True) is a TypeError)
        return (), {}
    kwargs = {"keepdim": g.chance(rng, 0.5)} if keepdim and g.chance(rng, 0.7) else {}
    if g.chance(rng, 0.5):
        return (dim,), kwargs
    return (), {"dim": dim, **kwargs}


def reduction(dims: bool = True, keepdim: bool = True, required: bool = False, dtype_kw: bool = False,
              dtypes=g.DTYPES, extra=None, special: float = 0.1):
    def draw(rng):
        x = _x(rng, dtypes, special=special)
        args, kwargs = _dim_kwargs(rng, x, dims, keepdim, required)
        if dtype_kw and g.chance(rng, 0.25):
            kwargs["dtype"] = DType(g.draw_dtype(rng))
        if extra:
            kwargs.update(extra(rng))
        return Case((x, *args), kwargs)

    return draw


def variance(rng):
    x = _x(rng, special=0.05)
    args, kwargs = _dim_kwargs(rng, x)
    r = rng.random()
    if r < 0.3:
        kwargs["correction"] = int(rng.integers(0, 3))
    elif r < 0.6:
        kwargs["unbiased"] = g.chance(rng, 0.5)
    return Case((x, *args), kwargs)


def norm(rng):
    x = _x(rng, special=0.05)
    args, kwargs = _dim_kwargs(rng, x)
    p = g.pick(rng, ["fro", 2, 1, 3, 0.5, float("inf"), float("-inf"), 0, 2.0, "nuc"])
    if args:
        return Case((x, p, *args), kwargs)
    return Case((x,), {"p": p, **kwargs} if g.chance(rng, 0.8) else kwargs)


def extremes(rng):
    """max/min: no dim (a value), a dim (values, indices), or another tensor (maximum)."""
    x = _x(rng, special=0.05)
    r = rng.random()
    if r < 0.3:
        return Case((x,))
    if r < 0.45:
        return Case((x, g.tensor(rng, g.broadcast_partner(rng, x.array.shape), g.draw_dtype(rng))))
    args, kwargs = _dim_kwargs(rng, x, dims=False, required=True)
    return Case((x, *args), kwargs)


def arg_extremes(rng):
    x = _x(rng, special=0.05)
    args, kwargs = _dim_kwargs(rng, x, dims=False)
    return Case((x, *args), kwargs)


def softmax(rng):
    x = _x(rng, g.FLOATS, odd=0.1, low=-5, high=5, special=0.05)
    dim = g.draw_dim(rng, x.array.ndim)
    return Case((x, dim)) if g.chance(rng, 0.6) else Case((x,), {"dim": dim})


def cumsum(rng):
    x = _x(rng, special=0.05)
    dim = g.draw_dim(rng, x.array.ndim)
    kwargs = {"dtype": DType(g.draw_dtype(rng))} if g.chance(rng, 0.2) else {}
    return Case((x, dim), kwargs) if g.chance(rng, 0.6) else Case((x,), {"dim": dim, **kwargs})


def sort(rng):
    stable = g.chance(rng, 0.3)
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng, odd=0.1), distinct=not stable,
                 special=0.1 if stable else 0.0)
    kwargs = {}
    if g.chance(rng, 0.7):
        kwargs["dim"] = g.draw_dim(rng, x.array.ndim)
    if g.chance(rng, 0.5):
        kwargs["descending"] = g.chance(rng, 0.5)
    if stable:
        kwargs["stable"] = True
    return Case((x,), kwargs)


def topk(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng, odd=0.1), distinct=True)
    dim = g.draw_dim(rng, x.array.ndim)
    size = x.array.shape[dim] if x.array.ndim and -x.array.ndim <= dim < x.array.ndim else 1
    k = int(rng.integers(0, size + 1)) if not g.chance(rng, 0.05) else size + 1
    kwargs = {"dim": dim}
    if g.chance(rng, 0.5):
        kwargs["largest"] = g.chance(rng, 0.5)
    ordered = not g.chance(rng, 0.15)
    if not ordered or g.chance(rng, 0.2):
        kwargs["sorted"] = ordered
    return Case((x, k), kwargs, values=ordered)  # sorted=False: torch leaves the order open


def build() -> list:
    ops = []
    ops += entries("sum", reduction(dtype_kw=True))
    ops += entries("mean", reduction(dtype_kw=True))
    ops += entries("prod", reduction(dims=False, dtype_kw=True, special=0.05))
    ops += entries("logsumexp", reduction(required=True, dtypes=g.FLOATS))
    ops += entries("any", reduction())
    ops += entries("all", reduction())
    ops += entries("amax", reduction())
    ops += entries("amin", reduction())
    ops += entries("max", extremes)
    ops += entries("min", extremes)
    ops += entries("argmax", arg_extremes)
    ops += entries("argmin", arg_extremes)
    ops += entries("var", variance)
    ops += entries("std", variance)
    ops += entries("norm", norm)
    ops += entries("cumsum", cumsum)
    ops += entries("softmax", softmax, (LIB, METHOD, FUNCTIONAL))
    ops += entries("log_softmax", softmax, (LIB, METHOD, FUNCTIONAL))
    ops += entries("sort", sort)
    ops += entries("argsort", sort)
    ops += entries("topk", topk)
    return ops

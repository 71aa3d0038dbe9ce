"""Registry entries: elementwise ops (unary, binary with type promotion, where, clamp,
masked_fill) in function and method form, and the Python operators."""

from __future__ import annotations

import operator

from . import generators as g
from .core import Case
from .forms import FUNCTIONAL, LIB, METHOD, custom, entries


def unary(low: float = -2.0, high: float = 2.0, dtypes=g.DTYPES, odd: float = 0.15, kwargs=None):
    """x of a random shape and dtype (sometimes one the op refuses), plus drawn kwargs."""
    def draw(rng):
        dtype = g.draw_dtype(rng, dtypes, odd)
        x = g.tensor(rng, g.draw_shape(rng), dtype, low=low, high=high, special=0.1)
        return Case((x,), kwargs(rng) if kwargs else {})

    return draw


def binary(scalar_share: float = 0.25, low: float = -2.0, high: float = 2.0, second_low=None, kwargs=None):
    """x and a tensor/0-d/Python-number operand that broadcasts with it (or, rarely, does not)."""
    def draw(rng):
        x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), low=low, high=high, special=0.05)
        y = g.operand(rng, x.array.shape, scalar_share=scalar_share,
                      low=low if second_low is None else second_low, high=high)
        if g.chance(rng, 0.1):  # a 0-d or Python-number first operand promotes differently
            x = g.tensor(rng, (), g.draw_dtype(rng), low=low, high=high)
        return Case((x, y), kwargs(rng) if kwargs else {})

    return draw


def reflected(low: float = -2.0, high: float = 2.0, kinds=("int", "float", "bool")):
    """x and a Python number for the reflected operators (number + x)."""
    def draw(rng):
        x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), low=low, high=high)
        return Case((x, g.scalar(rng, kinds, low, high)))

    return draw


def _alpha(rng):
    return {"alpha": g.scalar(rng, ("int", "float", "bool"))} if g.chance(rng, 0.3) else {}


def _rounding(rng):
    return {"rounding_mode": g.pick(rng, [None, "trunc", "floor", "floor", "nearest"])} if g.chance(rng, 0.5) else {}


def _decimals(rng):
    return {"decimals": int(rng.integers(-1, 3))} if g.chance(rng, 0.3) else {}


def where_draw(rng):
    shape = g.draw_shape(rng)
    cond_dtype = "bool" if g.chance(rng, 0.93) else g.pick(rng, ["int64", "float32"])
    cond = g.tensor(rng, g.broadcast_partner(rng, shape), cond_dtype, grad=0.0)
    x = g.operand(rng, shape, scalar_share=0.2)
    y = g.operand(rng, shape, scalar_share=0.2)
    if not isinstance(x, g.Arr) and not isinstance(y, g.Arr):
        x = g.tensor(rng, shape, g.draw_dtype(rng))
    return Case((cond, x, y))


def where_method_draw(rng):
    case = where_draw(rng)
    cond, x, y = case.args
    return Case((x, cond, y)) if isinstance(x, g.Arr) else Case((y, cond, x))


def clamp_draw(rng):
    x = g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), special=0.05)

    def bound():
        r = rng.random()
        if r < 0.3:
            return None
        if r < 0.7:
            return g.scalar(rng, ("int", "float"))
        return g.tensor(rng, g.broadcast_partner(rng, x.array.shape, bad=0.03), g.draw_dtype(rng))

    low, high = bound(), bound()
    if g.chance(rng, 0.5):
        return Case((x,), {"min": low, "max": high})
    return Case((x, low, high))


def masked_fill_draw(rng):
    shape = g.draw_shape(rng)
    x = g.tensor(rng, shape, g.draw_dtype(rng))
    mask_dtype = "bool" if g.chance(rng, 0.95) else "int64"
    mask = g.tensor(rng, g.broadcast_partner(rng, shape), mask_dtype, grad=0.0)
    r = rng.random()
    if r < 0.6:
        value = g.scalar(rng)
    else:
        value = g.tensor(rng, () if r < 0.95 else (2,), g.draw_dtype(rng))
    return Case((x, mask, value))


def allclose_draw(rng):
    shape = g.draw_shape(rng)
    dtype = g.draw_dtype(rng, g.FLOATS, odd=0.1)
    x = g.tensor(rng, shape, dtype, grad=0.0, special=0.2)
    near = x.array + rng.uniform(-1e-6, 1e-6, size=shape).astype(dtype) if g.chance(rng, 0.5) else None
    other = g.tensor(rng, g.broadcast_partner(rng, shape), dtype if g.chance(rng, 0.9) else g.draw_dtype(rng),
                     grad=0.0, special=0.2)
    if near is not None:
        other = g.Arr(near)
    kwargs = {}
    if g.chance(rng, 0.5):
        kwargs = {"rtol": float(g.pick(rng, [1e-5, 1e-3, 0.0])), "atol": float(g.pick(rng, [1e-8, 1e-6, 0.0])),
                  "equal_nan": g.chance(rng, 0.5)}
    return Case((x, other), kwargs)


UNARY = {  # name: (draw, spellings, method aliases)
    "abs": (unary(), (LIB, METHOD), ()), "neg": (unary(), (LIB, METHOD), ("negative",)),
    "sign": (unary(), (LIB, METHOD), ()), "floor": (unary(), (LIB, METHOD), ()),
    "ceil": (unary(), (LIB, METHOD), ()), "trunc": (unary(), (LIB, METHOD), ()),
    "round": (unary(kwargs=_decimals), (LIB, METHOD), ()), "exp": (unary(), (LIB, METHOD), ()),
    "log": (unary(-0.5, 3.0), (LIB, METHOD), ()), "sqrt": (unary(-0.5, 3.0), (LIB, METHOD), ()),
    "sin": (unary(), (LIB, METHOD), ()), "cos": (unary(), (LIB, METHOD), ()),
    "log1p": (unary(-1.5, 2.0), (LIB, METHOD), ()), "expm1": (unary(), (LIB, METHOD), ()),
    "reciprocal": (unary(), (LIB, METHOD), ()), "rsqrt": (unary(-0.5, 3.0), (LIB, METHOD), ()),
    "square": (unary(), (LIB, METHOD), ()), "sigmoid": (unary(-6, 6), (LIB, METHOD, FUNCTIONAL), ()),
    "tanh": (unary(-4, 4), (LIB, METHOD, FUNCTIONAL), ()), "relu": (unary(), (LIB, METHOD, FUNCTIONAL), ()),
    "logical_not": (unary(), (LIB, METHOD), ()), "bitwise_not": (unary(), (LIB, METHOD), ()),
    "isnan": (unary(), (LIB, METHOD), ()), "isinf": (unary(), (LIB, METHOD), ()),
    "isfinite": (unary(), (LIB, METHOD), ()),
}

ACTIVATIONS = {  # nn.functional only
    "relu6": unary(-8, 8), "silu": unary(-5, 5), "mish": unary(-5, 5), "logsigmoid": unary(-6, 6),
    "elu": unary(-4, 4, kwargs=lambda r: {"alpha": float(r.uniform(0.1, 2))} if g.chance(r, 0.5) else {}),
    "gelu": unary(-4, 4, kwargs=lambda r: {"approximate": g.pick(r, ["none", "tanh", "tanh", "exact"])}
                  if g.chance(r, 0.6) else {}),
    "softplus": unary(-30, 30, kwargs=lambda r: {"beta": float(g.pick(r, [0.5, 1.0, 2.0])),
                                                   "threshold": float(g.pick(r, [1.0, 5.0, 20.0]))}
                      if g.chance(r, 0.6) else {}),
    "hardtanh": unary(kwargs=lambda r: {"min_val": float(r.uniform(-1.5, 0)), "max_val": float(r.uniform(-0.5, 1.5))}
                      if g.chance(r, 0.6) else {}),
    "leaky_relu": unary(kwargs=lambda r: {"negative_slope": float(r.uniform(-0.5, 0.5))} if g.chance(r, 0.6) else {}),
}

BINARY = {  # name: (draw, method aliases)
    "add": (binary(kwargs=_alpha), ()), "sub": (binary(kwargs=_alpha), ("subtract",)),
    "mul": (binary(), ("multiply",)), "div": (binary(kwargs=_rounding), ()),
    "floor_divide": (binary(), ()), "remainder": (binary(), ()),
    "pow": (binary(low=-2, high=3, second_low=-2), ()),
    "eq": (binary(), ()), "ne": (binary(), ("not_equal",)), "lt": (binary(), ("less",)),
    "le": (binary(), ("less_equal",)), "gt": (binary(), ("greater",)), "ge": (binary(), ("greater_equal",)),
    "logical_and": (binary(), ()), "logical_or": (binary(), ()), "bitwise_and": (binary(), ()),
    "bitwise_or": (binary(), ()), "bitwise_xor": (binary(), ()),
    "maximum": (binary(scalar_share=0.05), ()), "minimum": (binary(scalar_share=0.05), ()),
}

OPERATORS = {  # x OP y
    "__add__": operator.add, "__sub__": operator.sub, "__mul__": operator.mul, "__truediv__": operator.truediv,
    "__floordiv__": operator.floordiv, "__mod__": operator.mod, "__pow__": operator.pow,
    "__and__": operator.and_, "__or__": operator.or_, "__xor__": operator.xor, "__lt__": operator.lt,
    "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge, "__eq__": operator.eq,
    "__ne__": operator.ne,
}
REFLECTED = {  # number OP x
    "__radd__": operator.add, "__rsub__": operator.sub, "__rmul__": operator.mul,
    "__rtruediv__": operator.truediv, "__rfloordiv__": operator.floordiv, "__rmod__": operator.mod,
    "__rpow__": operator.pow, "__rand__": operator.and_, "__ror__": operator.or_, "__rxor__": operator.xor,
}
UNARY_OPERATORS = {"__neg__": operator.neg, "__pos__": operator.pos, "__abs__": abs, "__invert__": operator.invert}


def _operator(fn):
    return lambda engine, x, y: fn(x, y)


def _reflected(fn):
    return lambda engine, x, y: fn(y, x)


def build() -> list:
    ops = []
    for name, (draw, forms, aliases) in UNARY.items():
        ops += entries(name, draw, forms, methods=aliases)
    for name, draw in ACTIVATIONS.items():
        ops += entries(name, draw, (FUNCTIONAL,))
    for name, (draw, aliases) in BINARY.items():
        ops += entries(name, draw, methods=aliases)
    ops += entries("true_divide", binary(), (METHOD,))  # div without rounding_mode
    ops += entries("where", where_draw, (LIB,))
    ops.append(custom("Tensor.where", lambda e, x, cond, y: x.where(cond, y), where_method_draw))
    ops += entries("clamp", clamp_draw, methods=("clip",))
    ops += entries("masked_fill", masked_fill_draw)
    ops += entries("allclose", allclose_draw)
    for name, fn in OPERATORS.items():
        ops.append(custom(f"Tensor.{name}", _operator(fn), binary(low=-2, high=3)))
    for name, fn in REFLECTED.items():
        ops.append(custom(f"Tensor.{name}", _reflected(fn), reflected()))
    for name, fn in UNARY_OPERATORS.items():
        ops.append(custom(f"Tensor.{name}", lambda e, x, fn=fn: fn(x), unary()))
    return ops

"""Registry entries: factories, dtype conversions, the Tensor's Python protocol (len, iter,
bool, float, int, index), its in-place methods, and promote_types/result_type."""

from __future__ import annotations

import operator

import numpy as np

from . import generators as g
from .core import Arr, Case, DType
from .forms import LIB, custom, entries


def _x(rng, grad: float = 0.9, **kw):
    return g.tensor(rng, g.draw_shape(rng), g.draw_dtype(rng), grad=grad, **kw)


def one(rng):
    return Case((_x(rng),))


def small(rng):
    """x with mostly 0 or 1 elements (item, bool, float, int, index)."""
    shape = g.pick(rng, [(), (), (1,), (1, 1), (2,), (0,)])
    return Case((g.tensor(rng, shape, g.draw_dtype(rng), special=0.1),))


def _size(rng, bad: float = 0.03) -> tuple:
    shape = g.draw_shape(rng, max_ndim=3)
    if shape and g.chance(rng, bad):
        shape = (-1,) + shape[1:]
    return shape


def _sizes_args(rng, shape):
    return shape if g.chance(rng, 0.5) and shape else (shape,)


def _dtype_kw(rng, share: float = 0.4):
    return {"dtype": DType(g.draw_dtype(rng))} if g.chance(rng, share) else {}


def to(rng):
    x = _x(rng)
    r = rng.random()
    if r < 0.5:
        return Case((x, DType(g.draw_dtype(rng))))
    if r < 0.65:
        return Case((x,), {"dtype": DType(g.draw_dtype(rng))})
    if r < 0.8:
        return Case((x, g.tensor(rng, (1,), g.draw_dtype(rng), grad=0.0)))
    return Case((x, g.pick(rng, ["cpu", "cpu:0"])))


def type_as(rng):
    return Case((_x(rng), g.tensor(rng, (2,), g.draw_dtype(rng), grad=0.0)))


def new_filled(rng):
    x = _x(rng, grad=0.0)
    return Case((x, *_sizes_args(rng, _size(rng))), _dtype_kw(rng))


def new_full(rng):
    return Case((_x(rng, grad=0.0), _size(rng), g.scalar(rng)), _dtype_kw(rng))


def new_tensor(rng):
    return Case((_x(rng, grad=0.0), nested_data(rng)), _dtype_kw(rng, 0.3))


def size(rng):
    x = _x(rng, grad=0.0)
    return Case((x, g.draw_dim(rng, x.array.ndim))) if g.chance(rng, 0.7) else Case((x,))


def requires_grad_(rng):
    x = _x(rng, grad=0.0)
    return Case((x, g.chance(rng, 0.7))) if g.chance(rng, 0.6) else Case((x,))


def in_place(second):
    """x (outside the graph) and what second(rng, shape) draws as the other arguments."""
    def draw(rng):
        x = _x(rng, grad=0.0 if g.chance(rng, 0.9) else 1.0)
        args, kwargs = second(rng, x.array.shape)
        return Case((x, *args), kwargs)

    return draw


def _operand(rng, shape):
    y = g.operand(rng, shape, scalar_share=0.3, grad=0.0)
    return (y,), {}


def _operand_alpha(rng, shape):
    args, _ = _operand(rng, shape)
    return args, ({"alpha": g.scalar(rng, ("int", "float"))} if g.chance(rng, 0.3) else {})


def _bounds(rng, shape):
    return (), {"min": g.scalar(rng, ("int", "float")) if g.chance(rng, 0.7) else None,
                "max": g.scalar(rng, ("int", "float")) if g.chance(rng, 0.7) else None}


def _source(rng, shape):
    return (g.tensor(rng, g.broadcast_partner(rng, shape), g.draw_dtype(rng), grad=0.0),), {}


def _value(rng, shape):
    return ((g.scalar(rng),) if g.chance(rng, 0.8) else (g.tensor(rng, (), g.draw_dtype(rng), grad=0.0),)), {}


def nested_data(rng):
    """A Python number, nested lists of numbers (rarely ragged), a numpy array, or 0-d tensors."""
    r = rng.random()
    shape = g.draw_shape(rng, max_ndim=3, max_size=3)
    if r < 0.15:
        return g.scalar(rng)
    if r < 0.35:
        return g.values(rng, shape, g.draw_dtype(rng))
    if r < 0.45:
        return [g.tensor(rng, (), g.draw_dtype(rng, g.FLOATS), grad=0.0) for _ in range(int(rng.integers(1, 4)))]
    kind = g.pick(rng, ["int", "float", "bool", "mixed"])
    flat = [g.scalar(rng, ("int", "float", "bool") if kind == "mixed" else (kind,)) for _ in range(int(np.prod(shape)))]
    data = np.array(flat, dtype=object).reshape(shape).tolist() if shape else flat[0] if flat else 0
    if isinstance(data, list) and len(data) > 1 and g.chance(rng, 0.05):
        data[0] = [data[0], data[0]] if not isinstance(data[0], list) else data[0] + data[0][:1]
    return data


def tensor_factory(rng):
    return Case((nested_data(rng),), _dtype_kw(rng, 0.3))


def from_numpy(rng):
    return Case((g.values(rng, g.draw_shape(rng), g.draw_dtype(rng)),))


def filled(rng):
    return Case(_sizes_args(rng, _size(rng)), _dtype_kw(rng))


def full(rng):
    return Case((_size(rng), g.scalar(rng)), _dtype_kw(rng, 0.3))


def like(rng):
    return Case((_x(rng, grad=0.0),), _dtype_kw(rng))


def arange(rng):
    kinds = ("int", "int", "float")
    start, end = g.scalar(rng, kinds, -4, 4), g.scalar(rng, kinds, -4, 6)
    step = g.scalar(rng, kinds, -2, 3)
    r = rng.random()
    kwargs = _dtype_kw(rng, 0.3)
    if kwargs and kwargs["dtype"].name == "bool":
        kwargs = {}
    if r < 0.3:
        return Case((abs(end),), kwargs)
    if r < 0.6:
        return Case((start, end), kwargs)
    return Case((start, end, step), kwargs)


def eye(rng):
    n = int(rng.integers(-1 if g.chance(rng, 0.05) else 0, 5))
    args = (n, int(rng.integers(0, 5))) if g.chance(rng, 0.5) else (n,)
    return Case(args, _dtype_kw(rng))


def random_factory(rng):
    shape = g.draw_shape(rng, max_ndim=3)
    kwargs = {"dtype": DType(g.draw_dtype(rng, g.FLOATS))} if g.chance(rng, 0.3) else {}
    return Case(_sizes_args(rng, shape), kwargs, values=False)


def randint(rng):
    low = int(rng.integers(-3, 3))
    high = low + int(rng.integers(1 if g.chance(rng, 0.95) else -1, 5))
    size = g.draw_shape(rng, max_ndim=3)
    return Case((low, high, size) if g.chance(rng, 0.7) else (high - low, size), values=False)


def promote_types(rng):
    return Case((DType(g.draw_dtype(rng)), DType(g.draw_dtype(rng))))


def result_type(rng):
    x = g.tensor(rng, g.draw_shape(rng, max_ndim=2) if g.chance(rng, 0.7) else (), g.draw_dtype(rng), grad=0.0)
    other = g.operand(rng, x.array.shape, scalar_share=0.4, grad=0.0)
    return Case((x, other) if g.chance(rng, 0.7) else (other, x) if isinstance(other, Arr) else (x, other))


def _method(name):
    return lambda e, x, *a, **k: getattr(x, name)(*a, **k)


def _in_place(name):
    def call(e, x, *a, **k):
        out = getattr(x, name)(*a, **k)
        assert out is x, f"{name} must return self"
        return x

    return call


def build() -> list:
    ops = [custom("Tensor.to", _method("to"), to), custom("Tensor.type_as", _method("type_as"), type_as)]
    ops += [custom(f"Tensor.{n}", _method(n), one) for n in (
        "float", "double", "long", "int", "bool", "half", "clone", "contiguous", "cpu", "detach",
        "is_floating_point", "tolist", "numel", "dim", "numpy")]
    ops += [custom(f"Tensor.{n}", _method(n), new_filled) for n in ("new_zeros", "new_ones")]
    ops.append(custom("Tensor.new_full", _method("new_full"), new_full))
    ops.append(custom("Tensor.new_tensor", _method("new_tensor"), new_tensor))
    ops.append(custom("Tensor.size", _method("size"), size))
    ops.append(custom("Tensor.item", _method("item"), small))
    ops.append(custom("Tensor.requires_grad_", lambda e, x, *a: x.requires_grad_(*a), requires_grad_))
    protocol = {"__len__": len, "__iter__": list, "__bool__": bool, "__float__": float, "__int__": int,
                "__index__": operator.index}
    ops += [custom(f"Tensor.{n}", lambda e, x, fn=fn: fn(x), small if n not in ("__len__", "__iter__") else one)
            for n, fn in protocol.items()]
    ops += [custom(f"Tensor.{n}", _in_place(n), in_place(second)) for n, second in (
        ("add_", _operand_alpha), ("sub_", _operand_alpha), ("mul_", _operand), ("div_", _operand),
        ("clamp_", _bounds), ("copy_", _source), ("fill_", _value))]
    ops.append(custom("Tensor.zero_", _in_place("zero_"), in_place(lambda rng, shape: ((), {}))))
    ops += entries("tensor", tensor_factory, (LIB,))
    ops += entries("from_numpy", from_numpy, (LIB,))
    ops += entries("zeros", filled, (LIB,)) + entries("ones", filled, (LIB,))
    ops += entries("full", full, (LIB,))
    ops += entries("zeros_like", like, (LIB,)) + entries("ones_like", like, (LIB,))
    ops += entries("arange", arange, (LIB,))
    ops += entries("eye", eye, (LIB,))
    ops += entries("randn", random_factory, (LIB,)) + entries("rand", random_factory, (LIB,))
    ops += entries("randint", randint, (LIB,))
    ops += entries("promote_types", promote_types, (LIB,))
    ops += entries("result_type", result_type, (LIB,))
    return ops

"""torch's type promotion in every binary op, checked against torch over generated operands.

Operands are dimensioned tensors, 0-d tensors and Python numbers of every dtype the engine
supports; each op must give torch's result dtype and values, or raise torch's exception.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import shendu.scratch as st

DTYPES = {
    "bool": (np.bool_, torch.bool), "uint8": (np.uint8, torch.uint8), "int16": (np.int16, torch.int16),
    "int32": (np.int32, torch.int32), "int64": (np.int64, torch.int64),
    "float16": (np.float16, torch.float16), "float32": (np.float32, torch.float32),
    "float64": (np.float64, torch.float64),
}
CORE = ("bool", "int32", "int64", "float32", "float64")  # the brief's dtypes; the rest run under slow
SCALARS = ("bool", "int", "float")

BINARY = {
    "add": lambda m, a, b: a + b, "sub": lambda m, a, b: a - b, "mul": lambda m, a, b: a * b,
    "truediv": lambda m, a, b: a / b, "floordiv": lambda m, a, b: a // b, "mod": lambda m, a, b: a % b,
    "pow": lambda m, a, b: a**b,
    "eq": lambda m, a, b: a == b, "ne": lambda m, a, b: a != b, "lt": lambda m, a, b: a < b,
    "le": lambda m, a, b: a <= b, "gt": lambda m, a, b: a > b, "ge": lambda m, a, b: a >= b,
}


def make_operand(rng, kind: str, dtype: str, shape):
    """A numpy array (for 'dim' and 'zero' tensors) or a Python number (for 'scalar')."""
    if kind == "scalar":
        return {"bool": True, "int": int(rng.integers(1, 4)), "float": float(rng.uniform(0.5, 2.0))}[dtype]
    np_dtype = DTYPES[dtype][0]
    if np_dtype is np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.dtype(np_dtype).kind in "iu":
        return np.asarray(rng.integers(1, 4, size=shape).astype(np_dtype))  # no zero divisors
    return np.asarray(rng.uniform(0.5, 2.0, size=shape).astype(np_dtype))


def to_engine(value, engine: str):
    if not isinstance(value, np.ndarray):
        return value
    return torch.from_numpy(value.copy()) if engine == "torch" else st.tensor(value)


def compare(fn, *values, what: str) -> None:
    """fn(module, *operands) with torch and with scratch: the same exception type, or the same
    dtype, shape and values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = fn(torch, *[to_engine(v, "torch") for v in values])
        except Exception as error:  # noqa: BLE001  (torch's type is what we must raise)
            with pytest.raises(type(error)):
                fn(st, *[to_engine(v, "st") for v in values])
            return
        got = fn(st, *[to_engine(v, "st") for v in values])
    reference = expected.numpy()
    assert got.dtype == reference.dtype, f"{what}: dtype {got.dtype} != torch {reference.dtype}"
    assert got.shape == reference.shape, f"{what}: shape {got.shape} != torch {reference.shape}"
    np.testing.assert_allclose(got.numpy().astype(np.float64), reference.astype(np.float64),
                               rtol=2e-3, equal_nan=True, err_msg=what)


def operand_kinds(dtypes):
    return [("dim", d) for d in dtypes] + [("zero", d) for d in dtypes] + [("scalar", s) for s in SCALARS]


def check_binary(name: str, dtypes) -> None:
    rng = np.random.default_rng(0)
    for (ka, da), (kb, db) in itertools.product(operand_kinds(dtypes), repeat=2):
        if ka == "scalar" and kb == "scalar":
            continue
        a = make_operand(rng, ka, da, (2, 3) if ka == "dim" else ())
        b = make_operand(rng, kb, db, (3,) if kb == "dim" else ())
        compare(BINARY[name], a, b, what=f"{name}({ka} {da}, {kb} {db})")


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_dtypes_and_values_match_torch(name):
    check_binary(name, CORE)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_dtypes_and_values_match_torch_all_dtypes(name):
    check_binary(name, list(DTYPES))


def test_result_type_and_promote_types_match_torch():
    rng = np.random.default_rng(1)
    for (ka, da), (kb, db) in itertools.product(operand_kinds(DTYPES), repeat=2):
        if ka == "scalar" and kb == "scalar":
            continue
        a = make_operand(rng, ka, da, (2,) if ka == "dim" else ())
        b = make_operand(rng, kb, db, (2,) if kb == "dim" else ())
        expected = torch.result_type(to_engine(a, "torch"), to_engine(b, "torch"))
        got = st.result_type(to_engine(a, "st"), to_engine(b, "st"))
        assert got == torch.empty(0, dtype=expected).numpy().dtype, f"result_type({ka} {da}, {kb} {db})"
    for da, db in itertools.product(DTYPES, repeat=2):
        expected = torch.promote_types(DTYPES[da][1], DTYPES[db][1])
        assert st.promote_types(np.dtype(DTYPES[da][0]), np.dtype(DTYPES[db][0])) == \
            torch.empty(0, dtype=expected).numpy().dtype, f"promote_types({da}, {db})"


@pytest.mark.parametrize("name", ["where", "maximum", "minimum", "clamp_tensor", "clamp_scalar"])
def test_ternary_and_tensor_only_ops_promote_like_torch(name):
    rng = np.random.default_rng(2)
    cond = rng.random((2, 3)) < 0.5
    for (ka, da), (kb, db) in itertools.product(operand_kinds(CORE), repeat=2):
        a = make_operand(rng, ka, da, (2, 3) if ka == "dim" else ())
        b = make_operand(rng, kb, db, (3,) if kb == "dim" else ())
        what = f"{name}({ka} {da}, {kb} {db})"
        if name == "where":  # torch.where takes numbers on either side
            compare(lambda m, x, y, c=cond: m.where(to_engine(c, m.__name__), x, y), a, b, what=what)
        elif ka == "scalar" or kb == "scalar":
            if name == "clamp_scalar" and ka != "scalar" and db != "bool":
                compare(lambda m, x, y: x.clamp(min=y, max=y + 1), a, b, what=what)
        elif name in ("maximum", "minimum"):  # tensors only, as in torch
            compare(lambda m, x, y, n=name: getattr(m, n)(x, y), a, b, what=what)
        elif name == "clamp_tensor":
            compare(lambda m, x, y: m.clamp(x, min=y), a, b, what=what)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "rsqrt", "reciprocal", "log1p", "expm1"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float32", "float64"])
def test_float_only_ops_turn_integers_into_float32(name, dtype):
    values = make_operand(np.random.default_rng(3), "dim", dtype, (2, 3))
    compare(lambda m, x: getattr(x, name)(), values, what=f"{name}({dtype})")


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "mean", "abs", "neg", "square", "amax", "argmax",
                                  "any", "all", "std", "var", "logsumexp", "max", "min", "sign", "floor"])
def test_unary_and_reduction_dtypes_match_torch(name, dtype):
    values = make_operand(np.random.default_rng(4), "dim", dtype, (2, 3))
    calls = {"cumsum": lambda m, x: x.cumsum(0), "logsumexp": lambda m, x: x.logsumexp(1),
             "max": lambda m, x: x.max(1)[0], "min": lambda m, x: x.min(0)[0]}
    compare(calls.get(name, lambda m, x, n=name: getattr(x, n)()), values, what=f"{name}({dtype})")


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    sa, sb = st.tensor(a, requires_grad=True), st.tensor(b, requires_grad=True)
    t_out, s_out = (ta * tb + ta / (tb * tb + 1)) ** 2, (sa * sb + sa / (sb * sb + 1)) ** 2
    assert s_out.dtype == np.float64 == t_out.detach().numpy().dtype
    t_out.sum().backward()
    s_out.sum().backward()
    assert sa.grad.dtype == np.float32 and sb.grad.dtype == np.float64
    np.testing.assert_allclose(sa.grad.numpy(), ta.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(sb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


FACTORY_CASES = [
    ("tensor", ([1, 2],)), ("tensor", ([1.0, 2.0],)), ("tensor", (True,)), ("tensor", ([True, False],)),
    ("tensor", ([True, 1],)), ("tensor", ([1, 2.5],)), ("tensor", (3,)), ("tensor", (3.0,)), ("tensor", ([],)),
    ("tensor", (np.float64(1.0),)), ("tensor", (np.array([1, 2], dtype=np.int32),)),
    ("arange", (5,)), ("arange", (1.0, 3)), ("arange", (0, 1, 0.1)), ("arange", (0, 10, 3)),
    ("arange", (-1, 1, 0.3)), ("arange", (10, 0, -1.5)), ("arange", (0.5,)),
    ("full", ((2,), 7)), ("full", ((2,), 7.0)), ("full", ((2,), True)),
    ("zeros", (2,)), ("ones", (2, 3)),
]


@pytest.mark.parametrize("name,args", FACTORY_CASES, ids=[f"{n}{a}" for n, a in FACTORY_CASES])
def test_factory_dtypes_match_torch(name, args):
    expected = getattr(torch, name)(*args).numpy()
    got = getattr(st, name)(*args)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("name", ["cat", "stack"])
def test_cat_and_stack_promote_like_torch(name):
    rng = np.random.default_rng(6)
    for da, db in itertools.product(CORE, repeat=2):
        a, b = make_operand(rng, "dim", da, (2,)), make_operand(rng, "dim", db, (2,))
        compare(lambda m, x, y: getattr(m, name)([x, y]), a, b, what=f"{name}({da}, {db})")

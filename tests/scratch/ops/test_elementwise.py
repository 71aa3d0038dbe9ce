"""Parity of the elementwise ops with torch: values, gradients, broadcasting, errors."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op

BINARY_SHAPES = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],          # broadcast a row
    [(2, 1, 4), (3, 1)],     # both sides broadcast
    [(1,), (2, 3)],
    [(5, 1), (1, 1)],
    [(), (2, 2)],            # 0-d
    [(1, 3, 1), (2, 1, 4)],
]


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary(name, shapes, dtype):
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
           "mul": lambda a, b: a * b, "div": lambda a, b: a / b}
    low = 0.5 if name == "div" else -2.0  # keep divisors away from 0
    helper_test_op(shapes, ops[name], ops[name], dtype=dtype, low=low)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3), (3,)], [(1, 3), (2, 1)]])
def test_pow_tensor_exponent(shapes):
    helper_test_op(shapes, lambda a, b: a**b, lambda a, b: a**b, low=0.5, high=2.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x + 2.5, lambda x: 2.5 + x, lambda x: x - 1.5, lambda x: 1.5 - x,
        lambda x: x * 3.0, lambda x: 3 * x, lambda x: x / 4.0, lambda x: 4.0 / x,
        lambda x: x**2, lambda x: x**3, lambda x: x**0.5, lambda x: x**-1.5, lambda x: 2.0**x, lambda x: -x,
    ],
)
def test_scalar_ops(fn, dtype):
    helper_test_op([(2, 3)], fn, fn, dtype=dtype, low=0.5, high=2.0)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (1, 4)]])
def test_where(shapes):
    cond = np.random.default_rng(1).random((3, 4)) > 0.5
    helper_test_op(shapes, lambda a, b: torch.where(torch.from_numpy(cond), a, b),
                   lambda a, b: st.where(cond, a, b))


def test_comparisons_return_bool_tensors_without_grad():
    a, b = st.tensor([1.0, 2.0, 3.0], requires_grad=True), st.tensor([2.0, 2.0, 2.0])
    for result, expected in [(a < b, [1, 0, 0]), (a <= b, [1, 1, 0]), (a > b, [0, 0, 1]),
                             (a >= b, [0, 1, 1]), (a == b, [0, 1, 0]), (a != b, [1, 0, 1]),
                             (a > 1.5, [0, 1, 1])]:
        assert result.dtype == bool and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), np.array(expected, bool))


def test_numpy_array_on_the_left_defers_to_tensor():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], np.float32) * x
    assert isinstance(y, st.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_float32_stays_float32_with_python_scalars():
    x = st.randn(3)
    for y in (x + 1.5, x * 2.0, x / 3.0, 1.0 - x, x**2, 2.0 / x, x + np.float64(1.0)):
        assert y.dtype == np.float32


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / b])
def test_shape_mismatch_raises_runtime_error(op):
    helper_test_exception([(3, 4), (5,)], op, op)


@pytest.mark.parametrize(
    "fn",
    [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1),
     lambda a, b: (a * a + 1) ** b, lambda a, b: st.where(np.array([[True, False, True]]), a, b)],
)
def test_gradcheck_binary(fn):
    rng = np.random.default_rng(0)
    a = st.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = st.Tensor(rng.standard_normal((3,)), requires_grad=True)
    assert st.gradcheck(fn, (a, b))

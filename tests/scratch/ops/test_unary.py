"""Parity of the unary ops with torch: exp, log, sqrt, abs, clamp, casts."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op


@pytest.mark.parametrize("shape", [(5,), (2, 3), (1, 1), (2, 1, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs"])
def test_unary(name, shape, dtype):
    low = 0.1 if name in ("log", "sqrt") else -2.0
    helper_test_op([shape], lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), dtype=dtype, low=low)


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.3), (-0.2, None)])
def test_clamp(bounds):
    low, high = bounds
    helper_test_op([(4, 5)], lambda x: x.clamp(low, high), lambda x: x.clamp(low, high))


def test_clamp_gradient_at_the_bounds_is_zero_like_torch():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    helper_test_op(None, lambda t: t.clamp(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5), inputs=[x])


def test_abs_gradient_at_zero_is_zero():
    helper_test_op(None, torch.abs, st.abs, inputs=[np.array([-1.0, 0.0, 2.0])])


def test_cast_round_trip_gradient_keeps_dtypes():
    helper_test_op([(3,)], lambda x: x.float().double() * 2, lambda x: x.float().double() * 2)
    x = st.randn(3, dtype=np.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_clamp_without_bounds_raises_like_torch():
    helper_test_exception([(3,)], lambda x: x.clamp(), lambda x: x.clamp())


@pytest.mark.parametrize(
    "fn",
    [lambda x: x.exp(), lambda x: (x * x + 1).log(), lambda x: (x * x + 1).sqrt(), lambda x: x.abs(),
     lambda x: x.clamp(-0.5, 0.5), lambda x: 1.5 / (x * x + 1), lambda x: (x * x + 1) ** 1.5, lambda x: -x + 3],
)
def test_gradcheck_unary(fn):
    x = st.Tensor(np.array([-1.3, -0.7, 0.2, 0.9, 1.6]), requires_grad=True)
    assert st.gradcheck(fn, x)

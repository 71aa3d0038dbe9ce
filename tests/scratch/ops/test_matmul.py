"""Parity of matmul (batched, broadcasting, vectors) and the fused linear op with torch."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op

SHAPES = [
    [(3, 4), (4, 5)], [(1, 4), (4, 1)], [(4,), (4,)], [(4,), (4, 5)], [(3, 4), (4,)],
    [(2, 3, 4), (2, 4, 5)], [(2, 3, 4), (4, 5)], [(3, 4), (2, 4, 5)], [(2, 1, 3, 4), (3, 4, 2)],
    [(1, 3, 4), (5, 4, 2)], [(2, 3, 4), (4,)],
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", SHAPES)
def test_matmul(shapes, dtype):
    helper_test_op(shapes, lambda a, b: a @ b, lambda a, b: a @ b, dtype=dtype)
    helper_test_op(shapes, torch.matmul, st.matmul, dtype=dtype)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 3), (1, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear(x_shape, bias, dtype):
    shapes = [x_shape, (4, 3)] + ([(4,)] if bias else [])
    helper_test_op(shapes, torch.nn.functional.linear, st.functional.linear, dtype=dtype)


@pytest.mark.parametrize("shapes", [[(3, 4), (5, 6)], [(2, 3, 4), (3, 5, 6)], [(3,), (4,)], [(), (3,)]])
def test_matmul_shape_mismatch_raises_runtime_error(shapes):
    helper_test_exception(shapes, torch.matmul, st.matmul)


def test_linear_shape_mismatch_raises_runtime_error():
    err = helper_test_exception([(2, 3), (4, 5)], torch.nn.functional.linear, st.functional.linear)
    assert "2x3" in str(err) and "in_features=5" in str(err)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(2, 2, 3), (3,)], [(3,), (2, 3, 2)]])
def test_gradcheck_matmul(shapes):
    rng = np.random.default_rng(0)
    a, b = (st.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    assert st.gradcheck(st.matmul, (a, b))


def test_gradcheck_linear():
    rng = np.random.default_rng(0)
    x, w, b = (st.Tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 2, 3), (4, 3), (4,)])
    assert st.gradcheck(st.functional.linear, (x, w, b))


def test_linear_dtype_mismatch_raises_runtime_error():
    helper_test_exception(None, torch.nn.functional.linear, st.functional.linear,
                          inputs=[np.zeros((2, 3)), np.zeros((4, 3), np.float32)])

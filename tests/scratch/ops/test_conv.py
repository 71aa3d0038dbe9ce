"""Parity of conv2d, max_pool2d and avg_pool2d with torch: values, all gradients, errors."""

import numpy as np
import pytest
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F

from ..helpers import helper_test_exception, helper_test_op

CONV_CASES = [
    # x shape, weight shape, stride, padding
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((1, 1, 5, 5), (2, 1, 3, 3), 1, 1),
    ((2, 2, 8, 6), (3, 2, 3, 2), 2, 1),
    ((3, 4, 5, 5), (2, 4, 1, 1), 1, 0),
    ((1, 2, 9, 9), (2, 2, 5, 5), (2, 3), (2, 1)),
    ((2, 3, 4, 4), (5, 3, 4, 4), 1, 0),     # kernel covers the input: 1x1 output
    ((1, 1, 6, 6), (1, 1, 3, 3), 3, 0),     # stride = kernel
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape,w_shape,stride,padding", CONV_CASES)
def test_conv2d(x_shape, w_shape, stride, padding, dtype, bias):
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if bias else [])
    helper_test_op(
        shapes,
        lambda *t: TF.conv2d(*t, stride=stride, padding=padding),
        lambda *t: F.conv2d(*t, stride=stride, padding=padding),
        dtype=dtype,
    )


def test_conv2d_same_padding_and_unbatched_input():
    helper_test_op([(2, 5, 5), (3, 2, 3, 3), (3,)], lambda x, w, b: TF.conv2d(x, w, b, padding="same"),
                   lambda x, w, b: F.conv2d(x, w, b, padding="same"))


def test_conv2d_chained_layout_round_trip():
    # conv -> relu -> conv: the second conv reads the first's channels-last view.
    def fn(lib, x, w1, w2):
        return lib.conv2d(lib.relu(lib.conv2d(x, w1, padding=1)), w2, stride=2)

    helper_test_op([(2, 3, 8, 8), (4, 3, 3, 3), (5, 4, 3, 3)],
                   lambda *t: fn(TF, *t), lambda *t: fn(F, *t))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "shape,kernel,stride,padding",
    [((2, 3, 8, 8), 2, None, 0), ((1, 2, 7, 7), 3, 2, 1), ((2, 1, 6, 5), (2, 3), (2, 1), 0),
     ((1, 1, 4, 4), 3, 1, 1), ((1, 2, 5, 5), 5, None, 0)],
)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pool(name, shape, kernel, stride, padding, dtype):
    helper_test_op([shape], lambda x: getattr(TF, name)(x, kernel, stride, padding),
                   lambda x: getattr(F, name)(x, kernel, stride, padding), dtype=dtype)


def test_max_pool_gradient_goes_to_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))  # all ties, as after a relu
    x[0, 0, 3, 3] = 1.0
    helper_test_op(None, lambda t: TF.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), inputs=[x])
    helper_test_op(None, lambda t: TF.max_pool2d(t, 3, 1), lambda t: F.max_pool2d(t, 3, 1), inputs=[x])


def test_channel_mismatch_raises_runtime_error():
    helper_test_exception([(1, 3, 5, 5), (2, 4, 3, 3)], TF.conv2d, F.conv2d)


def test_wrong_rank_raises_runtime_error():
    helper_test_exception([(3, 5), (2, 3, 3, 3)], TF.conv2d, F.conv2d)
    helper_test_exception([(5,)], lambda x: TF.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2))


def test_kernel_larger_than_input_raises_runtime_error():
    helper_test_exception([(1, 1, 2, 2), (1, 1, 3, 3)], TF.conv2d, F.conv2d)
    helper_test_exception([(1, 1, 2, 2)], lambda x: TF.max_pool2d(x, 3), lambda x: F.max_pool2d(x, 3))


def test_pool_padding_over_half_kernel_raises_runtime_error():
    helper_test_exception([(1, 1, 6, 6)], lambda x: TF.max_pool2d(x, 2, padding=2),
                          lambda x: F.max_pool2d(x, 2, padding=2))


def test_gradcheck_conv2d():
    rng = np.random.default_rng(0)
    x, w, b = (st.Tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 2, 5, 4), (3, 2, 3, 2), (3,)])
    assert st.gradcheck(lambda *t: F.conv2d(*t, stride=(2, 1), padding=1), (x, w, b))


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_gradcheck_pool(name):
    x = st.Tensor(np.random.default_rng(0).permutation(50).reshape(1, 2, 5, 5) / 10.0, requires_grad=True)
    assert st.gradcheck(lambda t: getattr(F, name)(t, 3, 2, 1), x)


def test_dtype_mismatch_raises_runtime_error():
    x64, w32 = np.zeros((1, 2, 4, 4)), np.zeros((3, 2, 3, 3), np.float32)
    helper_test_exception(None, TF.conv2d, F.conv2d, inputs=[x64, w32])

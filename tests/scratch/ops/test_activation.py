"""Parity of activations and (log-)softmax with torch, including extreme inputs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F

from ..helpers import helper_test_exception, helper_test_op

ACTIVATIONS = [
    (torch.sigmoid, F.sigmoid), (torch.tanh, F.tanh), (TF.relu, F.relu),
    (TF.leaky_relu, F.leaky_relu), (lambda x: TF.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    (TF.gelu, F.gelu), (lambda x: TF.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 1, 3)])
@pytest.mark.parametrize("fns", ACTIVATIONS, ids=["sigmoid", "tanh", "relu", "leaky", "leaky0.2", "gelu", "gelu_tanh"])
def test_activation(fns, shape, dtype):
    helper_test_op([shape], fns[0], fns[1], dtype=dtype, low=-4, high=4)


@pytest.mark.parametrize("fns", ACTIVATIONS, ids=["sigmoid", "tanh", "relu", "leaky", "leaky0.2", "gelu", "gelu_tanh"])
def test_activation_on_extreme_inputs(fns):
    x = np.array([-1000.0, -40.0, -6.0, -1e-3, 0.0, 1e-3, 6.0, 40.0, 1000.0])
    helper_test_op(None, fns[0], fns[1], inputs=[x])
    helper_test_op(None, fns[0], fns[1], inputs=[x.astype(np.float32)], dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((1, 4), 1), ((4,), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name, shape, dim, dtype):
    helper_test_op([shape], lambda x: getattr(TF, name)(x, dim), lambda x: getattr(F, name)(x, dim), dtype=dtype, low=-5, high=5)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_logits(name):
    x = np.array([[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0]])
    out, _ = helper_test_op(None, lambda t: getattr(TF, name)(t, 1), lambda t: getattr(F, name)(t, 1), inputs=[x])
    assert np.isfinite(out[0].detach().numpy()).all()


def test_bad_softmax_dim_raises_index_error():
    helper_test_exception([(2, 3)], lambda x: TF.softmax(x, 2), lambda x: F.softmax(x, 2))


def test_bad_gelu_approximate_raises_runtime_error():
    helper_test_exception([(2, 3)], lambda x: TF.gelu(x, approximate="erf"), lambda x: F.gelu(x, approximate="erf"))


@pytest.mark.parametrize(
    "fn",
    [F.sigmoid, F.tanh, F.relu, lambda x: F.leaky_relu(x, 0.1), F.gelu, lambda x: F.gelu(x, "tanh"),
     lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0)],
)
def test_gradcheck(fn):
    x = st.Tensor(np.array([[-1.3, -0.7, 0.2], [0.9, 1.6, -2.1]]), requires_grad=True)
    assert st.gradcheck(fn, x)

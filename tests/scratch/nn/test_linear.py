"""Linear, Flatten, Identity, Dropout, Embedding: parity with torch and default init."""

import math

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_exception, helper_test_module


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3), (1, 3)])
def test_linear(x_shape, bias, dtype, direction):
    x = np.random.default_rng(0).standard_normal(x_shape)
    helper_test_module(torch.nn.Linear(3, 4, bias=bias), nn.Linear(3, 4, bias=bias), [x.astype(dtype)],
                       dtype=dtype, direction=direction)


def test_linear_default_init_matches_torch_bounds():
    m = nn.Linear(50, 20)
    bound = 1 / math.sqrt(50)
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.weight.data).max() > 0.9 * bound
    assert np.abs(m.bias.data).max() <= bound
    assert abs(m.weight.data.std() - bound / math.sqrt(3)) < 0.01  # U(-b, b) has std b / sqrt(3)


def test_linear_wrong_input_raises_runtime_error():
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        torch.nn.Linear(3, 2)(torch.randn(4, 5))
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        nn.Linear(3, 2)(st.randn(4, 5))


def test_flatten_and_identity():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    helper_test_module(torch.nn.Flatten(), nn.Flatten(), [x])
    helper_test_module(torch.nn.Flatten(0, 2), nn.Flatten(0, 2), [x])
    helper_test_module(torch.nn.Identity(), nn.Identity(), [x])


def test_dropout_module_follows_training_mode():
    m = nn.Dropout(0.5)
    x = st.ones(1000)
    assert 0.4 < (m(x).numpy() == 0).mean() < 0.6
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(-0.1)
    with pytest.raises(ValueError):
        torch.nn.Dropout(-0.1)


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding(padding_idx, direction):
    idx = np.array([[0, 2, 4], [4, 4, 1]])
    out, _ = helper_test_module(torch.nn.Embedding(5, 3, padding_idx=padding_idx),
                                nn.Embedding(5, 3, padding_idx=padding_idx), [idx], direction=direction)
    assert out[0].shape == (2, 3, 3)


def test_embedding_padding_row_starts_at_zero_and_init_is_standard_normal():
    m = nn.Embedding(2000, 8, padding_idx=3)
    assert np.all(m.weight.data[3] == 0)
    assert abs(m.weight.data.std() - 1) < 0.03


def test_embedding_index_out_of_range_raises_index_error():
    helper_test_exception(None, torch.nn.Embedding(3, 2), nn.Embedding(3, 2), inputs=[np.array([0, 3])])


def test_gradcheck_linear_module():
    m = nn.Linear(3, 2).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert st.gradcheck(lambda t, w, b: st.functional.linear(t, w, b), (x, m.weight, m.bias))


def test_gradcheck_flatten_and_embedding_modules():
    x = st.Tensor(np.random.default_rng(0).standard_normal((2, 2, 3)), requires_grad=True)
    assert st.gradcheck(nn.Flatten(), x)
    emb = nn.Embedding(5, 2, padding_idx=0).double()
    # the padding row gets no gradient by design, so the check reads only other rows
    assert st.gradcheck(lambda w: emb(np.array([[1, 3], [3, 4]])), (emb.weight,))

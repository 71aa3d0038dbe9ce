"""Activation modules against torch's."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_module

PAIRS = [
    (lambda: torch.nn.ReLU(), lambda: nn.ReLU()), (lambda: torch.nn.Sigmoid(), lambda: nn.Sigmoid()),
    (lambda: torch.nn.Tanh(), lambda: nn.Tanh()), (lambda: torch.nn.LeakyReLU(0.1), lambda: nn.LeakyReLU(0.1)),
    (lambda: torch.nn.GELU(), lambda: nn.GELU()), (lambda: torch.nn.GELU("tanh"), lambda: nn.GELU("tanh")),
    (lambda: torch.nn.Softmax(-1), lambda: nn.Softmax(-1)), (lambda: torch.nn.LogSoftmax(1), lambda: nn.LogSoftmax(1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("pair", PAIRS, ids=range(len(PAIRS)))
def test_activation_module(pair, dtype):
    x = np.random.default_rng(0).uniform(-3, 3, (4, 5)).astype(dtype)
    helper_test_module(pair[0](), pair[1](), [x], dtype=dtype)


@pytest.mark.parametrize("pair", PAIRS, ids=range(len(PAIRS)))
def test_gradcheck_activation_module(pair):
    x = st.Tensor(np.random.default_rng(1).uniform(-2, 2, (3, 4)), requires_grad=True)
    assert st.gradcheck(pair[1](), x)

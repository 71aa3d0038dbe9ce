"""TransformerEncoderLayer and TransformerEncoder against torch (post-/pre-norm, relu/gelu, masks)."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_module


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(batch_first, activation, norm_first, dtype, direction):
    kwargs = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    theirs, ours = torch.nn.TransformerEncoderLayer(8, 2, **kwargs), nn.TransformerEncoderLayer(8, 2, **kwargs)
    x = np.random.default_rng(0).standard_normal((3, 5, 8) if batch_first else (5, 3, 8)).astype(dtype)
    helper_test_module(theirs, ours, [x], dtype=dtype, direction=direction)


def test_encoder_layer_with_masks_and_stack():
    kwargs = dict(dim_feedforward=16, dropout=0.0, batch_first=True)
    rng = np.random.default_rng(1)
    padding = np.zeros((3, 5), bool)
    padding[1, -2:] = True
    causal = np.triu(np.ones((5, 5), bool), k=1)

    def call(m, x):
        convert = torch.from_numpy if isinstance(m, torch.nn.Module) else (lambda a: a)
        return m(x, convert(causal), convert(padding))

    helper_test_module(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), nn.TransformerEncoderLayer(8, 2, **kwargs),
                       [rng.standard_normal((3, 5, 8))], call=call)
    torch_stack = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                              norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    ours_stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kwargs), 2, norm=nn.LayerNorm(8))
    helper_test_module(torch_stack, ours_stack, [rng.standard_normal((3, 5, 8))], call=call)


def test_state_dict_keys_match_torch_and_dropout_is_active_in_training():
    ours, theirs = nn.TransformerEncoderLayer(8, 2, 16), torch.nn.TransformerEncoderLayer(8, 2, 16)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = st.randn(4, 2, 8)
    assert not np.allclose(ours(x).detach().numpy(), ours(x).detach().numpy())
    ours.eval()
    np.testing.assert_array_equal(ours(x).detach().numpy(), ours(x).detach().numpy())


def test_gradcheck():
    m = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True, norm_first=True).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert st.gradcheck(m, x)

"""MultiheadAttention against torch: layouts, masks, returned weights, gradients, state dicts."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_exception, helper_test_module

E, HEADS, B, L, S = 8, 2, 3, 4, 5


def _pair(batch_first, **kwargs):
    return (torch.nn.MultiheadAttention(E, HEADS, batch_first=batch_first, **kwargs),
            nn.MultiheadAttention(E, HEADS, batch_first=batch_first, **kwargs))


def _inputs(batch_first, dtype, self_attention=False):
    rng = np.random.default_rng(0)
    q_shape = (B, L, E) if batch_first else (L, B, E)
    kv_shape = (B, S, E) if batch_first else (S, B, E)
    if self_attention:
        return [rng.standard_normal(q_shape).astype(dtype)]
    return [rng.standard_normal(s).astype(dtype) for s in (q_shape, kv_shape, kv_shape)]


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
def test_cross_attention_with_weights(batch_first, dtype, direction):
    theirs, ours = _pair(batch_first)
    with torch.no_grad():
        theirs.in_proj_bias.uniform_(-0.5, 0.5)  # torch starts the biases at zero; make them matter
    out, _ = helper_test_module(theirs, ours, _inputs(batch_first, dtype), dtype=dtype, direction=direction)
    assert out[1].shape == (B, L, S)  # weights averaged over heads


@pytest.mark.parametrize("average", [True, False])
def test_self_attention_with_masks(average):
    theirs, ours = _pair(True)
    rng = np.random.default_rng(1)
    padding = np.zeros((B, L), bool)
    padding[0, -1] = padding[2, -2:] = True
    causal = np.triu(np.ones((L, L), bool), k=1)
    float_mask = rng.standard_normal((L, L))

    def call(m, x):
        lib_mask = (lambda a: torch.from_numpy(a)) if isinstance(m, torch.nn.Module) else (lambda a: a)
        out1 = m(x, x, x, key_padding_mask=lib_mask(padding), attn_mask=lib_mask(causal), average_attn_weights=average)
        out2 = m(x, x, x, attn_mask=lib_mask(float_mask), need_weights=False)[0]
        return out1[0], out1[1], out2

    helper_test_module(theirs, ours, _inputs(True, np.float64, self_attention=True), call=call)


def test_per_head_3d_mask_and_unbatched_input():
    theirs, ours = _pair(False)
    rng = np.random.default_rng(2)
    mask = rng.standard_normal((B * HEADS, L, S))
    helper_test_module(theirs, ours, _inputs(False, np.float64),
                       call=lambda m, q, k, v: m(q, k, v, attn_mask=torch.from_numpy(mask) if isinstance(m, torch.nn.Module) else mask))
    x = rng.standard_normal((L, E))
    helper_test_module(theirs, ours, [x], call=lambda m, t: m(t, t, t), direction="none")


def test_parameter_names_and_init():
    theirs, ours = _pair(False)
    assert [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()] == [(k, v.shape) for k, v in ours.state_dict().items()]
    assert np.all(ours.in_proj_bias.data == 0) and np.all(ours.out_proj.bias.data == 0)
    bound = np.sqrt(6 / (E + 3 * E))  # xavier_uniform on the (3E, E) in_proj_weight
    assert np.abs(ours.in_proj_weight.data).max() <= bound


def test_errors_match_torch():
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(7, 2)
    with pytest.raises(AssertionError):
        nn.MultiheadAttention(7, 2)
    theirs, ours = _pair(True)
    helper_test_exception([(B, L, E + 1)], lambda x: theirs(x, x, x), lambda x: ours(x, x, x))


def test_gradcheck():
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert st.gradcheck(lambda t: m(t, t, t), x)
    assert st.gradcheck(lambda w: m(x, x, x)[0], (m.in_proj_weight,))


def test_batch_of_one_and_single_query():
    theirs, ours = _pair(True)
    rng = np.random.default_rng(4)
    helper_test_module(theirs, ours, [rng.standard_normal((1, 1, E)), rng.standard_normal((1, S, E)),
                                      rng.standard_normal((1, S, E))])

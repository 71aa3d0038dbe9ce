"""RNN, LSTM and GRU against torch: outputs, final states, every gradient, state dicts both ways."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_exception, helper_test_module

CONFIGS = [
    dict(num_layers=1, batch_first=False),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=2, batch_first=False, bias=False),
]


def _call_with_state(name):
    if name == "LSTM":
        return lambda m, x, h, c: m(x, (h, c))
    return lambda m, x, h: m(x, h)


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", CONFIGS, ids=["1layer", "2layer_batch_first", "2layer_no_bias"])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer(name, config, dtype, direction):
    rng = np.random.default_rng(0)
    batch, steps = 3, 5
    x = rng.standard_normal((batch, steps, 4) if config["batch_first"] else (steps, batch, 4)).astype(dtype)
    theirs, ours = getattr(torch.nn, name)(4, 6, **config), getattr(nn, name)(4, 6, **config)
    out, ref = helper_test_module(theirs, ours, [x], dtype=dtype, direction=direction)  # zero initial state
    assert len(out) == (3 if name == "LSTM" else 2)  # output, h_n (, c_n)
    states = [rng.standard_normal((config["num_layers"], batch, 6)).astype(dtype) for _ in range(2 if name == "LSTM" else 1)]
    helper_test_module(theirs, ours, [x, *states], dtype=dtype, call=_call_with_state(name), direction="none")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name):
    x = np.random.default_rng(0).standard_normal((5, 4))
    helper_test_module(getattr(torch.nn, name)(4, 3, num_layers=2), getattr(nn, name)(4, 3, num_layers=2), [x])


def test_rnn_relu_nonlinearity():
    x = np.random.default_rng(0).standard_normal((5, 2, 4))
    helper_test_module(torch.nn.RNN(4, 3, nonlinearity="relu"), nn.RNN(4, 3, nonlinearity="relu"), [x])


def test_parameter_names_shapes_and_init_match_torch():
    for name in ("RNN", "LSTM", "GRU"):
        ours, theirs = getattr(nn, name)(4, 6, num_layers=2), getattr(torch.nn, name)(4, 6, num_layers=2)
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        bound = 1 / np.sqrt(6)
        assert all(np.abs(p.data).max() <= bound for p in ours.parameters())


def test_dropout_between_layers_only_in_training():
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = st.randn(6, 2, 3)
    st.manual_seed(0)
    a = m(x)[0].detach().numpy()
    m.eval()
    b, c = m(x)[0].detach().numpy(), m(x)[0].detach().numpy()
    assert not np.allclose(a, b) and np.array_equal(b, c)


def test_errors_match_torch():
    helper_test_exception([(5, 2, 3)], torch.nn.GRU(4, 6), nn.GRU(4, 6))  # wrong input size
    h = np.zeros((2, 2, 6), np.float32)
    helper_test_exception(None, lambda x, h: torch.nn.RNN(4, 6)(x, h), lambda x, h: nn.RNN(4, 6)(x, h),
                          inputs=[np.zeros((5, 2, 4), np.float32), h])  # wrong number of layers in h0
    with pytest.raises(ValueError):
        nn.RNN(4, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError):
        torch.nn.RNN(4, 6, nonlinearity="sigmoid")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_gradcheck(name):
    m = getattr(nn, name)(2, 3, num_layers=2, batch_first=True).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((2, 3, 2)), requires_grad=True)
    assert st.gradcheck(lambda t: m(t)[0], x)
    w = m.weight_hh_l0
    assert st.gradcheck(lambda _w: m(x)[0], (w,))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_batch_of_one_and_single_step(name):
    rng = np.random.default_rng(3)
    theirs, ours = getattr(torch.nn, name)(4, 3, batch_first=True), getattr(nn, name)(4, 3, batch_first=True)
    helper_test_module(theirs, ours, [rng.standard_normal((1, 6, 4))])
    helper_test_module(theirs, ours, [rng.standard_normal((2, 1, 4))], direction="none")

"""The sequence models (shendu.models.sequence) and their scratch twins (shendu.scratch.zoo_sequence):
same keys, and a torch model's weights loaded into the twin give the same outputs and gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.models import build_model, factory_path, sequence
from shendu.scratch import zoo_sequence

CASES = list(itertools.product(("rnn", "lstm", "gru"), (1, 2)))
IDS = [f"{cell}-{layers}layer" for cell, layers in CASES]


def twins(cell: str, num_layers: int, seed: int, dtype: str):
    """A torch model from ``seed`` and its scratch twin holding its weights, both in ``dtype``."""
    torch.manual_seed(seed)
    theirs = getattr(sequence, f"{cell}_net")(input_size=3, hidden_size=5, num_outputs=4, num_layers=num_layers)
    ours = getattr(zoo_sequence, f"{cell}_net")(input_size=3, hidden_size=5, num_outputs=4, num_layers=num_layers)
    if dtype == "float64":
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("cell,num_layers", CASES, ids=IDS)
def test_twins_have_the_same_keys_and_shapes(cell, num_layers):
    theirs, ours = twins(cell, num_layers, 0, "float32")
    t_state, s_state = theirs.state_dict(), ours.state_dict()
    assert list(s_state) == list(t_state)
    assert list(t_state)[:4] == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    assert list(t_state)[-2:] == ["fc.weight", "fc.bias"]
    assert {k: v.shape for k, v in s_state.items()} == {k: tuple(v.shape) for k, v in t_state.items()}


@pytest.mark.parametrize("dtype,tolerance", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("cell,num_layers", CASES, ids=IDS)
def test_torch_weights_in_the_twin_give_the_same_outputs_and_gradients(cell, num_layers, dtype, tolerance):
    for seed in range(3):  # generated batches: sizes and values from the seed
        rng = np.random.default_rng([seed, num_layers])
        batch, steps = int(rng.integers(1, 6)), int(rng.integers(1, 12))
        x = rng.normal(0, 1.5, (batch, steps, 3)).astype(dtype)
        theirs, ours = twins(cell, num_layers, seed, dtype)
        expected = theirs(torch.from_numpy(x))
        got = ours(st.tensor(x))
        assert tuple(got.shape) == tuple(expected.shape) == (batch, 4)
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), atol=tolerance, rtol=tolerance * 10)
        upstream = rng.normal(size=(batch, 4)).astype(dtype)
        expected.backward(torch.from_numpy(upstream))
        got.backward(st.tensor(upstream))
        grads = dict(ours.named_parameters())
        for name, parameter in theirs.named_parameters():
            np.testing.assert_allclose(grads[name].grad.numpy(), parameter.grad.numpy(), atol=tolerance,
                                       rtol=tolerance * 10, err_msg=name)


def test_the_twin_loads_back_into_torch():
    theirs, ours = twins("gru", 1, 4, "float32")
    back = sequence.gru_net(input_size=3, hidden_size=5, num_outputs=4)
    back.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    x = torch.randn(2, 7, 3)
    assert torch.equal(back(x), theirs(x))


def test_the_model_is_the_last_hidden_state_through_a_linear():
    torch.manual_seed(0)
    model = sequence.lstm_net(input_size=2, hidden_size=6, num_outputs=3)
    reference = torch.nn.LSTM(2, 6, batch_first=True)
    reference.load_state_dict({k.removeprefix("rnn."): v for k, v in model.state_dict().items() if k.startswith("rnn.")})
    x = torch.randn(4, 9, 2)
    _, (h_n, _) = reference(x)
    torch.testing.assert_close(model(x), h_n[-1] @ model.fc.weight.T + model.fc.bias)


def test_factories_rebuild_from_their_path():
    model = build_model(factory_path(sequence.rnn_net), {"input_size": 5, "hidden_size": 8, "num_outputs": 4})
    assert isinstance(model.rnn, torch.nn.RNN) and model.fc.out_features == 4


@pytest.mark.parametrize("module", [sequence, zoo_sequence])
def test_an_unknown_cell_is_refused(module):
    with pytest.raises(ValueError, match="cell must be one of rnn, lstm, gru; got 'transformer'"):
        module.SequenceNet("transformer")

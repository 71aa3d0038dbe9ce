"""`shendu lab rnn-vs-lstm`: conclusions computed from its numbers; the gradient through time against
torch's cells unrolled by hand; the same start in both engines."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from shendu.lab import rnn_vs_lstm as lab
from shendu.lab.engines import get_engine
from shendu.lab.stats import summarize, summarize_curves
from tests.lab.conftest import metrics_of

TORCH_CELLS = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}


def test_the_recall_task_shows_the_symbol_first_with_the_marker():
    x, y = lab.recall_batch(np.random.default_rng(0), 50, 7, 4)
    assert x.shape == (50, 7, 5) and y.shape == (50,)
    np.testing.assert_array_equal(x[:, 0, :4].argmax(axis=1), y)
    assert (x[:, 0, 4] == 1).all() and (x[:, 1:, 4] == 0).all()
    assert (x.sum(axis=2) == np.where(np.arange(7) == 0, 2, 1)).all()  # one symbol per step (+ the marker)


def test_chrono_initialisation_sets_the_keep_gates():
    rng = np.random.default_rng(0)
    lstm = lab.sequence_init(rng, "lstm", 5, 6, 4, chrono_max=40)
    forget, input_gate = lstm["rnn.bias_hh_l0"][6:12], lstm["rnn.bias_hh_l0"][:6]
    assert ((forget >= 0) & (forget <= np.log(39))).all() and np.array_equal(input_gate, -forget)
    assert not lstm["rnn.bias_ih_l0"][:12].any()
    gru = lab.sequence_init(rng, "gru", 5, 6, 4, chrono_max=40)
    assert (gru["rnn.bias_hh_l0"][6:12] >= 0).all() and not gru["rnn.bias_ih_l0"][6:12].any()
    plain = lab.sequence_init(rng, "lstm", 5, 6, 4)
    assert all(np.abs(v).max() <= 1 / np.sqrt(6) for v in plain.values())  # torch's U(-1/sqrt(H), 1/sqrt(H))


@pytest.mark.parametrize("cell", lab.CELLS)
def test_gradient_through_time_equals_torch_cells_unrolled(cell):
    engine = get_engine("torch")
    x, y = lab.recall_batch(np.random.default_rng(1), 6, 9, 3)
    state = lab.sequence_init(np.random.default_rng(2), cell, 4, 5, 3, chrono_max=9)
    model = engine.load(lab.sequence_net(engine, cell, 4, 5, 3), state)
    got = lab.gradient_through_time(engine, model, x, y)
    reference = TORCH_CELLS[cell](4, 5)
    reference.load_state_dict({k.removeprefix("rnn.").removesuffix("_l0"): torch.from_numpy(v)
                               for k, v in state.items() if k.startswith("rnn.")})
    h = torch.zeros(6, 5)
    c, hidden_states = torch.zeros(6, 5), []
    for t in range(9):
        step = torch.from_numpy(x[:, t])
        if cell == "lstm":
            h, c = reference(step, (h, c))
        else:
            h = reference(step, h)
        h.retain_grad()
        hidden_states.append(h)
    logits = h @ torch.from_numpy(state["fc.weight"]).T + torch.from_numpy(state["fc.bias"])
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
    expected = [float(s.grad.norm(dim=1).mean()) for s in hidden_states]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9)


def test_both_engines_measure_the_same_gradient_from_the_same_start():
    x, y = lab.recall_batch(np.random.default_rng(3), 4, 6, 3)
    state = lab.sequence_init(np.random.default_rng(4), "lstm", 4, 5, 3, chrono_max=6)
    norms = [lab.gradient_through_time(e, e.load(lab.sequence_net(e, "lstm", 4, 5, 3), state), x, y)
             for e in (get_engine("torch"), get_engine("scratch"))]
    np.testing.assert_allclose(norms[1], norms[0], rtol=1e-4)


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("rnn-vs-lstm")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    changed["lengths"] = summarize_curves([[3.0, 8.0], [3.0, 8.0]])
    table = {"rnn": ([0.95, 0.97], [0.30, 0.26]), "lstm": ([1.0, 1.0], [0.91, 0.97]), "gru": ([0.99, 0.5], [0.6, 0.2])}
    for cell, (short, long) in table.items():
        changed[cell]["length 3"]["accuracy"] = summarize(short)
        changed[cell]["length 8"]["accuracy"] = summarize(long)
        changed[cell]["accuracy_by_length"] = summarize_curves([[short[0], long[0]], [short[1], long[1]]])
        changed[cell]["length 8"]["steps_to_solve"] = summarize([None, None])
        changed[cell]["grad_at_init"] = summarize_curves([[1e-6, 1.0], [1e-6, 1.0]])
        changed[cell]["grad_trained"] = summarize_curves([[0.5, 1.0], [0.5, 1.0]])
    changed["lstm"]["length 8"]["steps_to_solve"] = summarize([120, None])
    changed["gru"]["grad_at_init"] = summarize_curves([[1e-9, 1.0], [1e-9, 1.0]])
    after = lab.conclude(changed)
    assert after[0] == ("At length 8 the vanilla RNN falls to chance: 28.0% ± 2.8 held-out accuracy, within 10 points "
                        "of the 25% a guess gets (it had 96.0% ± 1.4 at length 3); at the same length the LSTM "
                        "94.0% ± 4.2 and the GRU 40.0% ± 28.3.")
    assert after[1] == ("At least 90% held-out accuracy in every seed: the vanilla RNN up to length 3, the LSTM up to "
                        "length 8, the GRU at no length.")
    assert "by the vanilla RNN never, the LSTM after 120 steps (1 of 2 seeds), the GRU never." in after[2]
    assert "is 1e-06 for the vanilla RNN, 1e-06 for the LSTM, 1e-09 for the GRU: it vanishes fastest in the GRU" \
        in after[3] and after[3].endswith("after training: 0.5 (vanilla RNN), 0.5 (LSTM), 0.5 (GRU).")
    for cell in lab.CELLS:
        changed[cell]["length 8"]["accuracy"] = summarize([0.6, 0.7])
        changed[cell]["accuracy_by_length"] = summarize_curves([[0.9, 0.6], [0.9, 0.7]])
    assert lab.conclude(changed)[0].startswith("The vanilla RNN stayed above chance (25%) at every length up to 8: "
                                               "65.0% ± 7.1 held-out accuracy at 8")

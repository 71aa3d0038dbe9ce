"""`shendu lab init-and-depth`: conclusions computed from its numbers; the initialisations' scales; the
per-layer gradients against a network written out in torch, and the same in both engines."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from shendu.lab import init_and_depth as lab
from shendu.lab.engines import get_engine
from shendu.lab.stats import summarize, summarize_curves
from tests.lab.conftest import metrics_of


@pytest.mark.parametrize("init, std", [("small", lambda i, o: 0.01), ("xavier", lambda i, o: np.sqrt(2 / (i + o))),
                                       ("he", lambda i, o: np.sqrt(2 / i)), ("large", lambda i, o: 1.0)])
def test_initialisations_draw_their_scale_with_zero_biases(init, std):
    engine = get_engine("torch")
    model = lab.initialise(engine, lab.build(engine, 3, 200, "relu"), init, np.random.default_rng(0))
    for _, layer in lab.linears(engine, model):
        fan_out, fan_in = layer.weight.shape
        assert layer.weight.detach().numpy().std() == pytest.approx(std(fan_in, fan_out), rel=0.05)
        assert not layer.bias.detach().numpy().any()


def test_gradients_by_layer_equal_the_network_written_out_in_torch():
    engine = get_engine("torch")
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 64)), rng.integers(0, 10, 16)
    model = lab.initialise(engine, lab.build(engine, 5, 8, "tanh", "residual", dtype="float64"), "xavier",
                           np.random.default_rng(2))
    got = lab.gradient_by_layer(engine, model, x, y)
    weights = [torch.tensor(layer.weight.detach().numpy(), requires_grad=True) for _, layer in
               lab.linears(engine, model)]
    h = torch.tanh(torch.from_numpy(x) @ weights[0].T)
    for w in weights[1:-1]:
        h = h + torch.tanh(h @ w.T)  # the documents' residual connection: x + layer(x)
    torch.nn.functional.cross_entropy(h @ weights[-1].T, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(got, [float(w.grad.norm()) for w in weights], rtol=1e-12)
    assert len(got) == 5


@pytest.mark.parametrize("architecture", lab.ARCHITECTURES)
def test_both_engines_give_the_same_gradients_by_layer(architecture):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 64)), rng.integers(0, 10, 12)
    norms = []
    for engine in (get_engine("torch"), get_engine("scratch")):
        model = lab.build(engine, 6, 8, "relu", architecture, dtype="float64")
        norms.append(lab.gradient_by_layer(engine, lab.initialise(engine, model, "he", np.random.default_rng(4)), x, y))
    np.testing.assert_allclose(norms[1], norms[0], rtol=1e-9)


def test_an_overflowing_gradient_is_none():
    engine = get_engine("torch")
    model = lab.initialise(engine, lab.build(engine, 40, 64, "relu"), "large", np.random.default_rng(0))
    assert None in lab.gradient_by_layer(engine, model, np.ones((4, 64), np.float32), np.arange(4))


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("init-and-depth")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    changed["depths"] = summarize_curves([[2.0, 6.0], [2.0, 6.0]])
    first = {"small": [1e-3, 1e-9], "xavier": [0.5, 0.2], "he": [1.0, 1.5], "large": [1e3, None]}
    for init, values in first.items():
        changed["relu"][init]["first_layer"] = summarize_curves([values, values])
        changed["tanh"][init]["first_layer"] = summarize_curves([values, values])
    changed["tanh"]["large"]["by_layer"] = summarize_curves([[5e6, 1.0, 0.5]] * 2)
    changed["relu"]["large"]["by_layer"] = summarize_curves([[2.0, 1.0, 4.0]] * 2)
    runs = changed["trained"]
    for name, values in (("small plain", [0.1, 0.1]), ("small residual", [0.9, 0.8]),
                         ("small batch_norm", [0.5, 0.6]), ("small residual_batch_norm", [0.7, 0.7]),
                         ("large plain", [None, None]), ("large residual", [None, 0.3]),
                         ("large batch_norm", [0.4, 0.4]), ("large residual_batch_norm", [0.95, 0.93]),
                         ("he plain", [0.6, 0.5])):
        runs[name]["final_test_acc"] = summarize(values)
    after = lab.conclude(changed)
    assert after[0] == ("With ReLU, the gradient norm reaching the first layer at initialisation: N(0, 0.01²) has "
                        "vanished by depth 6 (1.0e-09); Xavier stays between 1e-06 and 1e+06 up to depth 6 (0.2 "
                        "there); He stays between 1e-06 and 1e+06 up to depth 6 (1.5 there); N(0, 1) has overflowed "
                        "by depth 6.")
    assert after[2].startswith("Through the layers, 6 deep from N(0, 1): with tanh the first layer's gradient is "
                               "1.0e+07 times the last one's (it grows on its way back); with ReLU 0.5 times")
    assert after[3] == ("Trained 6 layers deep with ReLU from N(0, 0.01²), the plain network reached 10.0% ± 0.0 "
                        "held-out accuracy; with residual 85.0% ± 7.1, batch norm 55.0% ± 7.1, residual + batch norm "
                        "70.0% ± 0.0 - residual recovered most (the plain network from He's initialisation: "
                        "55.0% ± 7.1).")
    assert after[4].startswith("Trained 6 layers deep with ReLU from N(0, 1), the plain network diverged; with "
                               "residual 30.0% (1 of 2 seeds), batch norm 40.0% ± 0.0, residual + batch norm 94.0% ± "
                               "1.4 - residual + batch norm recovered most")

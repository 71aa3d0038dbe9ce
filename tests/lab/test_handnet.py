"""The documents' hand-derived backpropagation against two independent autograds, in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shendu.lab.engines import get_engine
from shendu.lab.handnet import (
    PARAMETERS,
    SimpleNeuralNetwork,
    autograd_gradients,
    max_difference,
    one_hot,
)

# (inputs, hidden, outputs, examples): one sigmoid output (XOR-like) and softmax outputs (digits-like)
SHAPES = [(2, 4, 1, 4), (3, 5, 1, 7), (64, 32, 10, 64), (8, 3, 4, 1), (5, 16, 3, 20)]


def random_case(seed: int, inputs: int, hidden: int, outputs: int, examples: int):
    rng = np.random.default_rng(seed)
    net = SimpleNeuralNetwork.init(rng, inputs, hidden, outputs, scale=1.0)
    net.b1[...] = rng.standard_normal(net.b1.shape)
    net.b2[...] = rng.standard_normal(net.b2.shape)
    X = rng.standard_normal((examples, inputs))
    if outputs == 1:
        Y = rng.integers(0, 2, (examples, 1)).astype(np.float64)
    else:
        Y = one_hot(rng.integers(0, outputs, examples), outputs)
    return net, X, Y


@pytest.mark.parametrize("engine", ["scratch", "torch"])
@pytest.mark.parametrize("shape", SHAPES)
def test_hand_gradients_equal_autograd_to_1e_10(engine, shape):
    for seed in range(3):
        net, X, Y = random_case(seed, *shape)
        assert max_difference(net.backward(X, Y), autograd_gradients(get_engine(engine), net, X, Y)) < 1e-10


def test_loss_is_torchs_cross_entropy():
    net, X, Y = random_case(0, 6, 4, 3, 9)
    z2 = torch.from_numpy(np.tanh(X @ net.W1 + net.b1) @ net.W2 + net.b2)
    expected = torch.nn.functional.cross_entropy(z2, torch.from_numpy(Y.argmax(axis=1)))
    assert net.loss(X, Y) == pytest.approx(expected.item(), rel=1e-12)


def test_the_hand_formula_is_not_the_squared_errors_gradient():
    net, X, Y = random_case(1, 2, 4, 1, 4)
    assert max_difference(net.backward(X, Y), autograd_gradients(get_engine("torch"), net, X, Y, "squared_error")) > 1e-3


def test_a_step_is_gradient_descent_and_the_layout_is_linears_transposed():
    net, X, Y = random_case(2, 3, 4, 2, 5)
    before = {name: getattr(net, name).copy() for name in PARAMETERS}
    grads = net.backward(X, Y)
    net.step(grads, 0.1)
    for name in PARAMETERS:
        np.testing.assert_allclose(getattr(net, name), before[name] - 0.1 * grads[name], rtol=0, atol=1e-15)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.linear_state().items()})
    with torch.no_grad():
        logits = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(logits, net.forward(X)["z2"], atol=1e-12)

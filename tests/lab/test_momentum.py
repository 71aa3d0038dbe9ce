"""The documents' (1 - beta) momentum against its closed form and against torch's dampened SGD."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shendu.lab.engines import get_engine
from shendu.lab.momentum import AveragedMomentum

C = np.array([0.5, -2.0, 3.0])  # a linear loss c.p: the gradient is c at every step


def run(engine_name: str, lr: float, beta: float, steps: int) -> np.ndarray:
    engine = get_engine(engine_name)
    p = engine.tensor(np.zeros(3), requires_grad=True)
    optimizer = AveragedMomentum([p], lr=lr, beta=beta)
    for _ in range(steps):
        optimizer.zero_grad()
        (p * engine.tensor(C)).sum().backward()
        optimizer.step()
    return engine.numpy(p).copy()


@pytest.mark.parametrize("engine", ["torch", "scratch"])
@pytest.mark.parametrize("beta, steps", [(0.9, 1), (0.9, 25), (0.5, 7), (0.0, 4)])
def test_constant_gradient_matches_the_closed_form(engine, beta, steps):
    # v_t = (1 - beta^t) c, so p_T = -lr c (T - beta (1 - beta^T) / (1 - beta))
    expected = -0.1 * C * (steps - beta * (1 - beta**steps) / (1 - beta))
    np.testing.assert_allclose(run(engine, 0.1, beta, steps), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("engine_name", ["torch", "scratch"])
def test_it_is_exactly_torchs_momentum_at_lr_times_one_minus_beta(engine_name):
    """v_t = (1 - beta) buf_t by induction, so lr eta here is torch's SGD(momentum=beta) at lr (1 - beta) eta,
    on any loss (here a small tanh regression, 30 steps, float64)."""
    rng = np.random.default_rng(0)
    x, y, start = rng.standard_normal((16, 4)), rng.standard_normal((16, 2)), rng.standard_normal((4, 2))
    engine = get_engine(engine_name)
    ours = engine.tensor(start, requires_grad=True)
    theirs = torch.from_numpy(start.copy()).requires_grad_(True)
    averaged = AveragedMomentum([ours], lr=0.5, beta=0.9)
    reference = torch.optim.SGD([theirs], lr=0.05, momentum=0.9)
    for _ in range(30):
        for optimizer, w, lib, inputs, targets in ((averaged, ours, engine.lib, engine.tensor(x), engine.tensor(y)),
                                                   (reference, theirs, torch, torch.from_numpy(x), torch.from_numpy(y))):
            optimizer.zero_grad()
            ((lib.tanh(inputs @ w) - targets) ** 2).mean().backward()
            optimizer.step()
    np.testing.assert_allclose(engine.numpy(ours), theirs.detach().numpy(), rtol=0, atol=1e-12)


def test_it_is_torchs_dampened_sgd_but_for_the_first_step():
    """torch's SGD(momentum=b, dampening=b) starts its buffer at g, the average at (1 - b) g: on a
    constant gradient the two differ by lr c b (1 - b^T) / (1 - b) after T steps."""
    beta, steps, lr = 0.9, 12, 0.1
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=beta, dampening=beta)
    for _ in range(steps):
        optimizer.zero_grad()
        (p * torch.from_numpy(C)).sum().backward()
        optimizer.step()
    gap = run("torch", lr, beta, steps) - p.detach().numpy()
    np.testing.assert_allclose(gap, lr * C * beta * (1 - beta**steps) / (1 - beta), rtol=1e-12)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="beta must be in"):
        AveragedMomentum([torch.zeros(1, requires_grad=True)], lr=0.1, beta=1.0)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        AveragedMomentum([torch.zeros(1, requires_grad=True)], lr=-1.0)

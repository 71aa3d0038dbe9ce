"""`shendu lab activations`: its conclusions are computed from its numbers; derivatives by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from shendu.lab.activations import analytic_derivative, conclude
from shendu.lab.engines import ACTIVATIONS
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of

TORCH = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
         "leaky_relu": torch.nn.functional.leaky_relu, "gelu": torch.nn.functional.gelu}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivatives_by_hand_equal_torch_autograd(name):
    x = np.concatenate([np.random.default_rng(0).normal(0, 3, 200), [0.0, -1e-9, 1e-9]])
    inputs = torch.from_numpy(x).requires_grad_(True)
    TORCH[name](inputs).sum().backward()
    np.testing.assert_allclose(analytic_derivative(name, x), inputs.grad.numpy(), rtol=0, atol=1e-12)


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("activations")[0])
    results = metrics["results"]
    assert conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    for name, accuracy in zip(ACTIVATIONS, (0.30, 0.80, 0.97, 0.90, 0.10), strict=True):
        changed[name]["final_test_acc"] = summarize([accuracy, accuracy])
        changed[name]["first_to_last"] = summarize([1.0, 1.0])
    changed["tanh"]["first_to_last"] = summarize([0.001, 0.003])
    changed["relu"]["never_positive"] = summarize([0.25, 0.35])
    changed["leaky_relu"]["never_positive"] = summarize([0.0, 0.0])
    changed["once"]["gelu"]["max_difference"] = 0.5
    after = conclude(changed)
    assert after[0].startswith("From the same initial weights and batches, ReLU trains the network best: 97.0% ± 0.0")
    assert "GELU worst: 10.0% ± 0.0, 87.0 points lower" in after[0]
    assert "In order: ReLU 97.0%, leaky ReLU 90.0%, tanh 80.0%, sigmoid 30.0%, GELU 10.0%." in after[0]
    assert after[1].startswith("The gradient shrinks most on its way back with tanh: in the first epoch its first "
                               "layer received gradients 0.002 times")
    assert "ReLU ended with 30.0% ± 7.1 of its hidden units dead" in after[2] and "leaky ReLU has none" in after[2]
    assert "agree with autograd to 5.0e-01 at most" in after[3] and "look for the one that differs" in after[3]

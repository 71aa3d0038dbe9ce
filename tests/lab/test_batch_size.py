"""`shendu lab batch-size`: conclusions computed from its numbers; the three forms take the steps their
definitions say."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from shendu.lab import batch_size as lab
from shendu.lab.data import digits
from shendu.lab.engines import get_engine, linear_init
from shendu.lab.stats import summarize, summarize_curves
from tests.lab.conftest import metrics_of

SMALL = lab.Settings(hidden=[8], epochs=2, mini_batch=16, train_limit=40)


@pytest.mark.parametrize("form, per_epoch", [("full", 1), ("mini", 3), ("single", 40)])
def test_each_form_makes_its_number_of_updates_probed_at_powers_of_two(form, per_epoch):
    run = lab.train(get_engine("torch"), form, SMALL, 0)
    assert run["updates"] == 2 * per_epoch and run["batch_size"] == {"full": 40, "mini": 16, "single": 1}[form]
    assert run["update_at"] == [2**k for k in range(len(run["update_at"]))] and run["update_at"][-1] <= 2 * per_epoch
    assert len(run["train_loss"]) == 2 and run["seconds"][0] <= run["seconds"][1]


def test_a_full_batch_update_is_one_gradient_descent_step_on_the_whole_training_set():
    engine = get_engine("torch")
    settings = lab.Settings(hidden=[8], epochs=1, train_limit=40, lr={"full": 0.3, "mini": 0.1, "single": 0.1})
    run = lab.train(engine, "full", settings, 5)
    data = digits(40)
    state = linear_init(np.random.default_rng([5, 0]), (64, 8, 10))
    w = {k: torch.from_numpy(v).requires_grad_(True) for k, v in state.items()}
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)

    def loss(weights):
        hidden = torch.relu(x @ weights["0.weight"].T + weights["0.bias"])
        return torch.nn.functional.cross_entropy(hidden @ weights["2.weight"].T + weights["2.bias"], y)

    loss(w).backward()
    stepped = {k: (v - 0.3 * v.grad).detach() for k, v in w.items()}
    assert run["update_loss"][0] == pytest.approx(float(loss(stepped)), rel=1e-5)
    assert run["train_loss"][0] == run["update_loss"][0]


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("batch-size")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    numbers = {"full": (100, 8, 0.5, 0.01, None, [1, 2, 4, 8], [1.0, 0.8, 0.6, 0.55]),
               "mini": (32, 300, 0.1, 0.1, 0.5, [1, 2, 4, 8, 16, 32, 64, 128, 256], [2.0] * 4 + [1.0] * 5),
               "single": (1, 800, 0.05, 2.0, 3.0, [1, 2, 4, 8, 16, 32], [2.2, 2.1, 2.05, 2.0, 1.5, 1.0])}
    for form, (batch, updates, loss, seconds, to_target, at, curve) in numbers.items():
        run = changed[form]
        run["batch_size"], run["updates"] = summarize([batch, batch]), summarize([updates, updates])
        run["final_train_loss"], run["seconds_per_epoch"] = summarize([loss, loss]), summarize([seconds, seconds])
        run["seconds_to_target"] = summarize([to_target, to_target])
        run["update_at"], run["update_loss"] = summarize_curves([at, at]), summarize_curves([curve, curve])
    after = lab.conclude(changed)
    assert "training loss was lowest with one sample, 0.05 ± 0 after 800 updates; mini-batch 0.1 ± 0 after 300, " \
        "full batch 0.5 ± 0 after 8" in after[0]
    assert after[1] == ("Per update, after 8 updates each, full batch was lowest: full batch 0.55, mini-batch 2, one "
                        "sample 2. A step on the whole data set is worth more than one on a sample, but costs as "
                        "much as 100 one-sample steps.")
    assert "Mini-batch got the training loss below" in after[2] and "one sample 3 s; full batch not within" in after[2]
    assert after[3].startswith("An epoch of one sample took 200 times as long as one of full batch")

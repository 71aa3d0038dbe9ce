"""`shendu lab optimizers`: its conclusions are computed from its numbers."""

from __future__ import annotations

import copy

from shendu.lab.optimizers import OPTIMIZERS, conclude
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("optimizers")[0])
    results = metrics["results"]
    before = conclude(results)
    assert before == metrics["conclusions"]
    assert "its final weights differ from torch's form's by at most" in before[1]
    changed = copy.deepcopy(results)
    changed["momentum_forms_weight_difference"] = summarize([0.5, 0.2])
    epochs = {"sgd": [None, None], "momentum": [4, 4], "momentum_avg": [None, 9], "momentum_avg_scaled": [4, 5],
              "rmsprop": [3, 3], "adam": [2, 2], "adamw": [2, 3]}
    for name in OPTIMIZERS:
        changed[name]["epochs_to_target"] = summarize(epochs[name])
        changed[name]["rosenbrock"]["distance"] = summarize([1.0, 1.0])
        changed[name]["saddle"]["escape_step"] = summarize([100, 100])
    changed["rmsprop"]["rosenbrock"]["distance"] = summarize([0.01, 0.03])
    changed["sgd"]["rosenbrock"]["distance"] = summarize([None, None])
    changed["adam"]["saddle"]["escape_step"] = summarize([10, 12])
    changed["momentum_avg"]["saddle"]["escape_step"] = summarize([None, None])
    after = conclude(changed)
    assert after[0].startswith("Adam reached") and "first: after 2 ± 0 epochs (2 of 2 seeds); then AdamW 2.5, RMSProp " \
        "3.0, momentum (torch) 4.0, momentum (1-β) average at lr/(1-β) 4.5, momentum (1-β) average 9.0" in after[0]
    assert "not within" in after[0] and after[0].count("SGD") == 1
    assert "it reached it after 9 epochs in 1 of 2 seeds, torch's form after 4 ± 0 epochs" in after[1]
    assert "float rounding" not in after[1] and after[1].endswith("the same method with the lr rescaled.")
    assert ("RMSProp ended closest to the minimum (1, 1), 0.02 ± 0.014 away, and AdamW farthest, 1 ± 0 away; SGD "
            "diverged.") in after[2]
    assert after[3].startswith("At the saddle, Adam escaped first (|y| > 0.5 after 11 ± 1.4 steps) and momentum (1-β) "
                               "average did not escape within")
    assert "near the saddle the gradient is tiny" in after[3]
    for name in OPTIMIZERS:
        changed[name]["epochs_to_target"] = summarize([None, None])
    assert conclude(changed)[0].startswith("No optimizer reached")

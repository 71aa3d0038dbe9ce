"""`shendu lab backprop`: its conclusions are computed from its numbers."""

from __future__ import annotations

import copy

from shendu.lab.backprop import conclude
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("backprop")[0])
    results = metrics["results"]
    before = conclude(results)
    assert before == metrics["conclusions"]
    assert "within the 1e-10 bar" in before[0]
    changed = copy.deepcopy(results)
    changed["check"]["digits"]["torch"] = summarize([3e-7, 1e-12])
    changed["xor_documents"]["final_loss"] = summarize([0.25, 0.35])
    changed["xor"]["epochs_to_solve"] = summarize([None, None])
    changed["digits"]["final_test_acc"] = summarize([0.5, 0.7])
    after = conclude(changed)
    assert "3.0e-07 (torch), above the 1e-10 bar" in after[0]
    assert "is 0.3 ± 0.071, and" in after[2] and "barely moved" not in after[2]
    assert after[2].endswith("solve XOR in 0 of 2 seeds.")
    assert "reaches 60.0% ± 14.1 held-out accuracy" in after[3]
    assert after[1] == before[1]

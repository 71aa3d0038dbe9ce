"""`shendu lab basics`: its conclusions are computed from its numbers."""

from __future__ import annotations

import copy

from shendu.lab.basics import conclude
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("basics")[0])
    results = metrics["results"]
    before = conclude(results)
    assert before == metrics["conclusions"]
    changed = copy.deepcopy(results)
    changed["line"]["gd"]["prediction_at_6"] = summarize([4.0, 4.2])
    changed["line"]["adam"]["prediction_at_6"] = summarize([5.9, 6.1])
    changed["line"]["gd"]["b"] = summarize([0.5, 0.7])
    changed["once"]["condition"] = 12.0
    changed["noisy"]["gap_to_least_squares"] = summarize([0.25, 0.5])
    changed["ffn"]["network"]["r2"] = summarize([0.2, 0.2])
    changed["ffn"]["linear"]["r2"] = summarize([0.5, 0.5])
    after = conclude(changed)
    assert "predicts 4.1 ± 0.14 at x = 6" in after[0] and "Adam ends closer, 0 from 6 against 1.9" in after[0]
    assert "a valley 12 times steeper" in after[1] and "b is 0.6 from the exact 0" in after[1]
    assert "1 - lr·λmin = 0.983, which halves it only every 41 epochs" in before[1]
    assert "gradient descent ends within 0.5 of the exact least-squares line" in after[2]
    assert "the linear model explains 30 points more of the variance" in after[3]

"""`shendu lab lr-schedules`: conclusions computed from its numbers; the learning rates each schedule
sets, against their closed forms and across the two engines."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from shendu.lab import lr_schedules as lab
from shendu.lab.engines import get_engine
from shendu.lab.stats import summarize
from tests.lab.conftest import metrics_of

SMALL = lab.Settings(hidden=[8], epochs=6, step_size=2, step_gamma=0.5, lr=0.2, train_limit=64, batch_size=16)


@pytest.fixture(scope="module")
def traces():
    """Every schedule's per-step lr on both engines (SMALL settings, seed 0)."""
    return {engine: {name: lab.train(get_engine(engine), name, SMALL, 0) for name in lab.SCHEDULES}
            for engine in ("torch", "scratch")}


def test_epoch_schedules_follow_their_closed_forms(traces):
    runs = traces["torch"]
    epochs = range(SMALL.epochs)
    assert runs["constant"]["epoch_lr"] == [0.2] * SMALL.epochs
    np.testing.assert_allclose(runs["step"]["epoch_lr"], [0.2 * 0.5 ** (e // 2) for e in epochs], rtol=1e-12)
    np.testing.assert_allclose(runs["cosine"]["epoch_lr"],  # Loshchilov & Hutter: lr (1 + cos(pi e / T)) / 2
                               [0.2 * (1 + math.cos(math.pi * e / SMALL.epochs)) / 2 for e in epochs], atol=1e-12)


def test_one_cycle_rises_to_the_peak_then_falls_far_below_the_start(traces):
    trace = traces["torch"]["one_cycle"]["lr_trace"]
    peak = int(np.argmax(trace))
    assert trace[0] == pytest.approx(0.2 / 25) and max(trace) == pytest.approx(0.2, rel=0.01)
    assert 0.2 < peak / len(trace) < 0.4  # pct_start 0.3
    assert np.all(np.diff(trace[:peak + 1]) >= 0) and np.all(np.diff(trace[peak:]) <= 0)
    assert trace[-1] < trace[0] / 1000


def test_both_engines_set_the_same_learning_rates(traces):
    for name in ("constant", "step", "cosine", "one_cycle"):
        np.testing.assert_allclose(traces["scratch"][name]["lr_trace"], traces["torch"][name]["lr_trace"],
                                   rtol=1e-9, err_msg=name)


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("lr-schedules")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    table = {"constant": (0.80, 0.4, None), "step": (0.90, 0.1, 7), "cosine": (0.93, 0.05, 5),
             "one_cycle": (None, None, None), "plateau": (0.85, 0.2, 9)}
    for name, (accuracy, loss, reach) in table.items():
        changed[name]["final_test_acc"] = summarize([accuracy, accuracy])
        changed[name]["final_train_loss"] = summarize([loss, loss])
        changed[name]["epochs_to_target"] = summarize([reach, reach])
    changed["plateau"]["plateau_cuts"] = summarize([2, 3])
    changed["plateau"]["first_cut"] = summarize([4, None])
    after = lab.conclude(changed)
    assert after[0].startswith("After ") and "cosine ended with the best held-out accuracy, 93.0% ± 0.0 (+13.0 " \
        "points against the constant rate's 80.0% ± 0.0); in order: cosine 93.0%, step 90.0%, reduce-on-plateau " \
        "85.0%, constant 80.0%, one-cycle diverged." in after[0]
    assert "lowest with cosine, 0.05 ± 0, 8 times below the constant rate's 0.4 ± 0" in after[1]
    assert "Cosine reached" in after[2] and "first, after 5 ± 0 epochs (2 of 2 seeds); then step 7.0, " \
        "reduce-on-plateau 9.0; never: constant, one-cycle." in after[2]
    assert after[3].startswith("Reduce-on-plateau cut the rate 2.5 ± 0.71 times, first after epoch 4 (1 of 2 seeds)")
    for name in lab.SCHEDULES:
        changed[name]["final_test_acc"] = summarize([None, None])
    assert lab.conclude(changed)[0].startswith("Every schedule diverged")

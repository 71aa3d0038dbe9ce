"""`shendu lab engines`: conclusions computed from its numbers; scratch and torch trained side by side
end on the same weights; the experiment refuses --engine scratch (it runs both)."""

from __future__ import annotations

import copy

import numpy as np

from shendu.lab import engines_compare as lab
from shendu.lab.engines import get_engine
from shendu.lab.stats import summarize, summarize_curves
from tests.conftest import run_cli
from tests.lab.conftest import metrics_of
from tests.test_cli import assert_clear_error

TINY = lab.Settings(hidden=[6], epochs=2, batch_size=16, record_every=3, train_limit=48)


def test_both_engines_end_on_the_same_weights_in_float64():
    runs = {name: lab.train(get_engine(name), TINY, "float64", 2) for name in lab.ENGINE_NAMES}
    assert runs["torch"]["steps"] == runs["scratch"]["steps"] == 6
    assert lab.max_difference(runs["torch"]["final_state"], runs["scratch"]["final_state"]) < 1e-12
    np.testing.assert_allclose(runs["scratch"]["train_loss"], runs["torch"]["train_loss"], rtol=1e-12)
    assert len(runs["torch"]["snapshots"]) == 2


def test_max_difference_is_the_largest_absolute_gap():
    a = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
    b = {"w": np.array([1.5, 2.0]), "b": np.array([-0.25])}
    assert lab.max_difference(a, b) == 0.75


def test_scratch_as_the_engine_is_refused_for_it_runs_both(tmp_path):
    assert_clear_error(run_cli("lab", "engines", "--engine", "scratch", "--quick", "--out", str(tmp_path)),
                       "`shendu lab engines` runs on torch only; got --engine scratch")
    assert not any(tmp_path.iterdir())


def test_conclusions_follow_the_numbers(lab_run):
    metrics = metrics_of(lab_run("engines")[0])
    results = metrics["results"]
    assert lab.conclude(results) == metrics["conclusions"]
    changed = copy.deepcopy(results)
    changed["float64"]["final_max_difference"] = summarize([4e-16, 6e-16])
    changed["float64"]["max_difference"] = summarize_curves([[1e-16, 5e-16], [1e-16, 5e-16]])
    changed["float32"]["final_max_difference"] = summarize([0.3, 0.3])
    changed["float32"]["weight_scale"] = summarize([2.0, 2.0])
    changed["float32"]["torch"]["seconds_per_step"] = summarize([0.002, 0.002])
    changed["float32"]["scratch"]["seconds_per_step"] = summarize([0.006, 0.006])
    after = lab.conclude(changed)
    assert "the largest weight difference between scratch and torch was 5e-16 ± 1.4e-16 (2.3 times the float64 " \
        "machine epsilon 2.2e-16), grown from 1.0e-16 after the first" in after[0]
    assert "compute the same numbers up to rounding" in after[0]
    assert "more than 1000 roundings of the largest weight (2) apart - the trajectories have drifted." in after[1]
    assert after[3] == "Speed in float32: torch took 2 ms per step, scratch 6 ms: scratch is 3 times slower."

"""Evaluation.reproduced: what a re-test of a run folder is compared with."""

import itertools

from shendu.predict.predictor import Evaluation


def _evaluation(metrics, saved):
    return Evaluation(metrics=metrics, saved=saved, test_sha256="a", expected_sha256="a")


def test_a_metric_newer_than_the_run_does_not_count_against_it():
    # a run trained before the Diebold-Mariano test existed: its metrics.json has no test_dm_p
    saved = {"test_rmse": 1.845, "test_skill": 0.0}
    for extra in ({}, {"test_dm_p": 1.0}, {"test_dm_p": 0.3, "test_shrinkage": 0.0}):
        assert _evaluation({**saved, **extra}, saved).reproduced


def test_any_shared_metric_that_differs_or_nothing_shared_is_not_reproduced():
    saved = {"test_acc": 0.985, "test_loss": 0.05, "test_majority_acc": 0.11}
    for k in range(1, len(saved) + 1):
        for changed in itertools.combinations(saved, k):
            now = {key: (value + 1e-7 if key in changed else value) for key, value in saved.items()}
            assert not _evaluation(now, saved).reproduced, changed
    assert not _evaluation({"test_acc": 0.985}, {}).reproduced
    assert not _evaluation({}, saved).reproduced

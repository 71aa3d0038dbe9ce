"""A recipe's target is met by a metric equal to its bound up to float32 rounding (metrics are
float32: 978 correct of 1,000 is 0.97799998...), and not by anything one test example short."""

from __future__ import annotations

import numpy as np
import pytest

from shendu.train.target import Target


@pytest.mark.parametrize("samples", [100, 500, 1000, 4000, 5000, 10000, 25000])
def test_a_count_equal_to_the_bound_meets_it_and_one_fewer_does_not(samples):
    rng = np.random.default_rng(samples)
    for correct in rng.integers(1, samples, size=200):
        bound = round(int(correct) / samples, 6)
        exact = float(np.float32(correct) / np.float32(samples))  # what torchmetrics writes
        below = float(np.float32(correct - 1) / np.float32(samples))
        assert Target("test_acc", minimum=bound).met({"test_acc": exact}), (correct, samples)
        assert not Target("test_acc", minimum=bound).met({"test_acc": below}), (correct, samples)
        assert Target("test_wer", maximum=bound).met({"test_wer": exact})
        above = float(np.float32(correct + 1) / np.float32(samples))
        assert not Target("test_wer", maximum=bound).met({"test_wer": above})


def test_missing_or_nan_metric_is_not_met():
    assert not Target("test_acc", minimum=0.5).met({})
    assert not Target("test_rmse", maximum=0.5).met({"test_rmse": float("nan")})
    assert Target("test_acc", minimum=0.978).to_dict({"test_acc": 0.9779999852180481}) == {
        "metric": "test_acc", "minimum": 0.978, "met": True}

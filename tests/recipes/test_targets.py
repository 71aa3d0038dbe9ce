"""Full-size runs: each recipe's defaults reach its documented target (slow; `make test-slow`).

A target counts as met when the mean over 3 seeds meets it (the house rule: CPUs differ in
floating point, and one seed is one draw). The quick recipes run seeds 0-2; the long ones
(detect-digits, series-lstm, multimodal, reviews-zh-m3e: ~8 min) run seed 0 only, to keep `.ci/run` within its hour.
"""

import json

import pytest

from tests.conftest import run_cli_process as run_cli

SEEDS = {"digits-mlp": (0, 1, 2), "mnist-cnn": (0, 1, 2)}
EVERY_SEED = {"mnist-cnn"}  # issue 18: each seed reaches the target, not only their mean (~1 min a seed)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits-mlp", "mnist-cnn", "detect-digits", "series-lstm", "multimodal",
                                  "reviews-zh-m3e"])
def test_recipe_defaults_reach_their_target(tmp_path, name):
    values, target = [], None
    for seed in SEEDS.get(name, (0,)):
        out = tmp_path / f"seed{seed}"
        result = run_cli("train", name, "--seed", str(seed), "--out", str(out), "--no-progress", timeout=1800)
        assert result.returncode == 0, result.stdout + result.stderr
        (run,) = out.iterdir()
        metrics = json.loads((run / "metrics.json").read_text())
        target = metrics["target"]
        values.append(metrics[target["metric"]])
    mean = sum(values) / len(values)
    if name in EVERY_SEED:
        assert all(v >= target["minimum"] for v in values), (name, values, target)
    if "minimum" in target:
        assert mean >= target["minimum"], (name, values, target)
    else:
        assert mean <= target["maximum"], (name, values, target)

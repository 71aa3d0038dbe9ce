"""Full-size runs: each recipe's defaults reach its documented target (slow; `make test-slow`)."""

import json

import pytest

from tests.conftest import run_cli_process as run_cli


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits-mlp", "mnist-cnn", "detect-digits", "series-lstm", "multimodal"])
def test_recipe_defaults_reach_their_target(tmp_path, name):
    result = run_cli("train", name, "--out", str(tmp_path), "--no-progress", timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["target"]["met"] is True, metrics

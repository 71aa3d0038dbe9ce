import json

import pytest

from shendu.recipes.xor import XorConfig, single_layer_accuracy
from tests.conftest import run_cli


def test_single_layer_network_cannot_learn_xor():
    for seed in range(3):
        assert single_layer_accuracy(XorConfig(seed=seed, epochs=500)) <= 0.75


@pytest.mark.parametrize("engine", ["torch", "scratch"])
def test_one_hidden_layer_learns_xor_and_the_report_says_why(tmp_path, engine):
    result = run_cli("train", "xor", "--engine", engine, "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_acc"] == 1.0 and metrics["target"]["met"]
    report = (run / "report.md").read_text()
    import re

    match = re.search(r"single-layer network .* reaches accuracy (0\.\d\d) on XOR", report)
    assert match and float(match.group(1)) <= 0.75, report
    assert json.loads((run / "config.json").read_text())["engine"] == engine
    predicted = run_cli("predict", str(run), "0,0", "0,1", "1,0", "1,1", "--json", "--top-k", "1")
    assert predicted.returncode == 0, predicted.stderr
    assert [p["top"][0]["label"] for p in json.loads(predicted.stdout)] == ["0", "1", "1", "0"]
    import shendu

    predictor = shendu.load(run)
    assert [r.to_dict() for r in predictor.predict(["0,0", "0,1", "1,0", "1,1"], top_k=1)] == json.loads(predicted.stdout)
    assert predictor.predict([[0, 1], (1, 1)], top_k=1)[0].top[0]["label"] == "1"
    assert predictor.evaluate().reproduced  # the single-layer baseline is not retrained to evaluate


def test_hidden_zero_trains_the_single_layer_network(tmp_path):
    result = run_cli("train", "xor", "--set", "hidden=0", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr
    (run,) = tmp_path.iterdir()
    assert json.loads((run / "metrics.json").read_text())["test_acc"] <= 0.75
    bad = run_cli("predict", str(run), "1,2,3")
    assert bad.returncode == 2 and "2 comma-separated numbers" in " ".join(bad.stderr.split())

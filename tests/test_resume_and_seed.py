"""Reproducibility: the same seed repeats a run; a killed run resumes and finishes."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import run_cli


def _metrics_without_timing(run):
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if "second" not in k}


def _history(run, columns=("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr")):
    with open(run / "history.csv") as f:
        return [[row[c] for c in columns] for row in csv.DictReader(f)]


def test_same_seed_gives_the_same_metrics_and_weights(tmp_path):
    runs = []
    for name in ("a", "b"):
        result = run_cli("train", "digits-mlp", "--epochs", "3", "--seed", "7", "--out", str(tmp_path / name), "--no-progress")
        assert result.returncode == 0, result.stderr
        runs.append(next((tmp_path / name).iterdir()))
    a, b = runs
    assert _metrics_without_timing(a) == _metrics_without_timing(b)
    assert _history(a) == _history(b)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    other = run_cli("train", "digits-mlp", "--epochs", "3", "--seed", "8", "--out", str(tmp_path / "c"), "--no-progress")
    c = next((tmp_path / "c").iterdir())
    assert other.returncode == 0 and (c / "model.safetensors").read_bytes() != (a / "model.safetensors").read_bytes()


def test_killed_run_resumes_and_finishes(tmp_path):
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "shendu", "train", "digits-mlp", "--epochs", "12", "--out", str(out), "--no-progress"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    deadline = time.monotonic() + 180
    run = None
    while time.monotonic() < deadline:
        runs = list(out.glob("digits-mlp-*")) if out.exists() else []
        if runs and (runs[0] / "history.csv").exists() and len(_history(runs[0])) >= 3:
            run = runs[0]
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert run is not None, "training never got to epoch 3"
    before = _history(run)
    assert 3 <= len(before) < 12 and not (run / "metrics.json").exists()

    info = run_cli("info", str(run))
    assert info.returncode == 0 and "incomplete" in info.stdout

    result = run_cli("train", "--resume", str(run), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    after = _history(run)
    assert [int(r[0]) for r in after] == list(range(1, 13))
    # epochs finished before the kill are kept as they were (up to the last checkpoint)
    kept = min(len(before), int(json.loads((run / "metrics.json").read_text())["epochs_run"]))
    assert after[: kept - 1] == before[: kept - 1]
    assert json.loads((run / "metrics.json").read_text())["test_acc"] > 0.9

"""`shendu info` on a lab run folder: complete once metrics.json is written (a lab run has no weights),
with its experiment named."""

from __future__ import annotations

import shutil

from shendu.cli import info_rows
from tests.conftest import run_cli


def test_info_reads_a_lab_run_as_complete_and_names_its_experiment(lab_run, tmp_path):
    folder, _ = lab_run("rnn-vs-lstm")
    result = run_cli("info", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    flat = " ".join(result.stdout.split())
    assert "experiment │ rnn-vs-lstm" in flat and "status │ complete" in flat
    assert "incomplete" not in flat and "--resume" not in flat
    assert "shendu lab rnn-vs-lstm --engine torch --seeds 2 --quick" in flat
    unfinished = tmp_path / folder.name
    shutil.copytree(folder, unfinished)
    (unfinished / "metrics.json").unlink()
    flat = " ".join(run_cli("info", str(unfinished)).stdout.split())
    assert "status │ incomplete (no metrics.json: run the command again)" in flat


def test_a_training_run_still_reads_as_before():
    rows = dict(info_rows({"recipe": "digits-mlp", "engine": "torch"}, {}, {}, {}, complete=False))
    assert rows["recipe"] == "digits-mlp" and rows["status"] == "incomplete (resume with --resume)"
    assert "experiment" not in rows
    assert dict(info_rows({"recipe": "digits-mlp"}, {}, {"test_acc": 0.9}, {}, complete=True))["status"] == "complete"

"""`shendu lab list` and `shendu lab EXPERIMENT`: run folders, reports made from the numbers, refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shendu.lab import registry
from shendu.lab.base import Experiment
from tests.conftest import run_cli
from tests.lab.conftest import metrics_of
from tests.test_cli import assert_clear_error

EXPERIMENTS = ("backprop", "basics", "activations", "optimizers", "rnn-vs-lstm", "regularization",
               "init-and-depth", "lr-schedules", "batch-size", "engines")


def test_list_names_every_experiment_with_its_engines():
    result = run_cli("lab", "list")
    assert result.returncode == 0, result.stderr
    for name in EXPERIMENTS:
        assert name in result.stdout
    assert "torch, scratch" in result.stdout


def test_lab_list_imports_neither_torch_nor_numpy():
    code = ("import sys\nfrom shendu.cli import app\ntry:\n    app(['lab', 'list'], standalone_mode=False)\n"
            "except SystemExit:\n    pass\n"
            "print('IMPORTED', sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "IMPORTED []" in done.stdout and "optimizers" in done.stdout


def test_unknown_experiment_suggests_the_close_one(tmp_path):
    assert_clear_error(run_cli("lab", "backprob", "--out", str(tmp_path)), "EXPERIMENT must be one of",
                       "got 'backprob'", "Did you mean 'backprop'?", "shendu lab list")
    assert not any(tmp_path.iterdir())


def test_unknown_engine_is_refused(tmp_path):
    assert_clear_error(run_cli("lab", "basics", "--engine", "jax", "--out", str(tmp_path)),
                       "--engine must be one of torch, scratch; got 'jax'")
    assert not any(tmp_path.iterdir())


def test_an_engine_the_experiment_cannot_use_is_refused(tmp_path, monkeypatch):
    only_torch = Experiment("torch-only", "shendu.lab.basics", "an experiment with no scratch twin",
                            engines=("torch",))
    monkeypatch.setitem(registry.EXPERIMENTS, only_torch.name, only_torch)
    assert_clear_error(run_cli("lab", "torch-only", "--engine", "scratch", "--quick", "--out", str(tmp_path)),
                       "`shendu lab torch-only` runs on torch only; got --engine scratch", "--engine torch")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("args, fragment", [(("--seeds", "0"), "--seeds must be at least 1"),
                                            (("--seed", "-1"), "--seed must be >= 0")])
def test_bad_seed_options_are_refused(tmp_path, args, fragment):
    assert_clear_error(run_cli("lab", "basics", "--quick", *args, "--out", str(tmp_path)), fragment)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_writes_a_run_folder_whose_report_states_its_numbers(lab_run, name):
    folder, stdout = lab_run(name)
    assert folder.name.startswith(f"lab-{name}-")
    files = {p.name for p in folder.iterdir()}
    assert {"config.json", "env.json", "metrics.json", "per_seed.json", "report.md"} <= files
    config, metrics = json.loads((folder / "config.json").read_text()), metrics_of(folder)
    assert config["seeds"] == metrics["seeds"] == [0, 1] and config["engine"] == "torch" and config["quick"] is True
    report = (folder / "report.md").read_text()
    command = f"shendu lab {name} --engine torch --seeds 2 --quick"
    assert config["command"] == command and f"Made by `{command}`" in report
    assert len(metrics["conclusions"]) >= 3
    flat_stdout = " ".join(stdout.split())
    for sentence in metrics["conclusions"]:
        assert f"- {sentence}" in report
        assert " ".join(sentence.split()) in flat_stdout
    pictures = sorted(p for p in files if p.endswith(".png"))
    assert pictures
    for picture in pictures:
        data = (folder / picture).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 100_000
        assert f"({picture})" in report
    assert "| setting | value |" in report and "|---|" in report


def test_results_hold_mean_and_spread_over_the_seeds(lab_run):
    folder, _ = lab_run("backprop")
    per_seed = json.loads((folder / "per_seed.json").read_text())["per_seed"]
    leaf = metrics_of(folder)["results"]["xor"]["final_loss"]
    values = [seed["xor"]["final_loss"] for seed in per_seed]
    assert leaf["values"] == values and leaf["n"] == 2
    assert leaf["mean"] == pytest.approx(sum(values) / 2)
    assert leaf["std"] == pytest.approx(abs(values[0] - values[1]) / 2**0.5)


@pytest.mark.parametrize("name", ["optimizers"])
def test_experiment_runs_on_the_scratch_engine(tmp_path, name):
    result = run_cli("lab", name, "--quick", "--engine", "scratch", "--seeds", "1", "--seed", "3", "--out",
                     str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = tmp_path.iterdir()
    config = json.loads((folder / "config.json").read_text())
    assert config["engine"] == "scratch" and config["seeds"] == [3]
    assert json.loads((folder / "env.json").read_text())["engine"] == "scratch"
    assert f"shendu lab {name} --engine scratch --seeds 1 --seed 3 --quick" in (folder / "report.md").read_text()

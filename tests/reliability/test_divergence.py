"""The divergence guard: a NaN at step k stops the run at step k (or skips it), and no run
folder ever holds non-finite weights."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lightning as L
import pytest
import torch
from safetensors.torch import load_file

from shendu.train import fit as fit_module
from tests.conftest import run_cli


def digits(out: Path, *extra: str) -> list[str]:
    return [
        "train",
        "digits-mlp",
        "--epochs",
        "2",
        "--batch-size",
        "64",
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


class PoisonAt(L.Callback):
    """Put a NaN into the inputs (``what="loss"``) or into one gradient (``"gradient"``) at
    global step ``step`` (1-based)."""

    def __init__(self, step: int, what: str) -> None:
        self.step, self.what = step, what

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.what == "loss" and trainer.global_step + 1 == self.step:
            batch[0][0, 0] = float("nan")

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        if self.what == "gradient" and trainer.global_step + 1 == self.step:
            next(p for p in pl_module.parameters() if p.grad is not None).grad.view(-1)[0] = float(
                "inf"
            )


@pytest.fixture
def poison_at(monkeypatch):
    original = fit_module.build_trainer

    def arm(step: int, what: str) -> None:
        def build(*args, **kwargs):
            trainer = original(*args, **kwargs)
            trainer.callbacks.insert(0, PoisonAt(step, what))
            return trainer

        monkeypatch.setattr(fit_module, "build_trainer", build)

    return arm


def all_finite(path: Path) -> bool:
    if path.suffix == ".safetensors":
        tensors = load_file(path)
    else:
        tensors = {k: v for k, v in torch.load(path, weights_only=True)["state_dict"].items()}
    return all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point())


@pytest.mark.parametrize(("what", "step"), [("loss", 7), ("gradient", 40)])
def test_a_nan_stops_the_run_at_its_step_and_writes_no_weights(tmp_path, poison_at, what, step):
    poison_at(step, what)
    result = run_cli(*digits(tmp_path))
    assert result.returncode == 2, result.stderr
    train_size = int(re.search(r"train ([\d,]+)", result.stdout).group(1).replace(",", ""))
    steps_per_epoch = -(-train_size // 64)
    epoch, batch = (step - 1) // steps_per_epoch + 1, (step - 1) % steps_per_epoch + 1
    message = " ".join(result.stderr.split())
    assert (
        f"training diverged at epoch {epoch}, step {step} (batch {batch} of the epoch): the {what} is not finite"
        in message
    )
    assert (
        "--lr 0.0001" in message
        and "on_nonfinite=skip" in message
        and "Traceback" not in result.stderr
    )
    (run,) = tmp_path.iterdir()
    assert not (run / "model.safetensors").exists() and not (run / "metrics.json").exists()
    assert all(all_finite(p) for p in (run / "checkpoints").glob("*.ckpt"))


@pytest.mark.parametrize("what", ["loss", "gradient"])
def test_skip_mode_drops_the_step_finishes_and_reports_it(tmp_path, poison_at, what):
    poison_at(5, what)
    result = run_cli(*digits(tmp_path, "--set", "on_nonfinite=skip"))
    assert result.returncode == 0, result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["skipped_steps"] == 1 and metrics["test_acc"] > 0.5
    assert "| skipped steps | 1 " in (run / "report.md").read_text()
    assert all_finite(run / "model.safetensors")


def test_a_learning_rate_that_blows_up_stops_with_advice(tmp_path):
    result = run_cli(
        *digits(
            tmp_path,
            "--optimizer",
            "sgd",
            "--lr",
            "1e6",
            "--set",
            "scheduler=none",
            "--set",
            "activation=relu",
        )
    )
    assert result.returncode == 2, result.stderr
    assert "training diverged" in result.stderr and "--lr 100000" in " ".join(result.stderr.split())
    (run,) = tmp_path.iterdir()
    assert not (run / "model.safetensors").exists()


@pytest.mark.slow
def test_the_scratch_engine_stops_too(tmp_path):
    result = run_cli(
        *digits(
            tmp_path,
            "--engine",
            "scratch",
            "--optimizer",
            "sgd",
            "--lr",
            "1e60",
            "--set",
            "scheduler=none",
        )
    )
    assert result.returncode == 2, result.stderr
    assert (
        "training diverged at epoch 1, step 2 (batch 2 of the epoch): the loss is not finite"
        in " ".join(result.stderr.split())
    )
    (run,) = tmp_path.iterdir()
    assert not (run / "model.safetensors").exists()

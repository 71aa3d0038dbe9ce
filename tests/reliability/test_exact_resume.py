"""Exact resume: a run stopped at any step and resumed ends bitwise equal to one never stopped.

SIGTERM and SIGINT are raised inside the training loop at a chosen step (in this process, from a
callback placed before shendu's own), so the stop lands exactly where the test wants it: mid-epoch,
on an epoch's last step, or during validation. The kill -9 variant (no checkpoint at the kill)
runs in fresh processes in ``test_kill.py``.
"""

from __future__ import annotations

import csv
import json
import signal
from pathlib import Path

import pytest
import torch

from shendu.errors import EXIT_INTERRUPTED
from tests.conftest import run_cli

EPOCHS = 2
STEPS = 10  # per epoch: 300 training images in batches of 32


def tiny_mnist(small_idx: Path, *extra: str) -> list[str]:
    """mnist-cnn on 300 real MNIST images (augmentation and dropout on), 10 steps an epoch."""
    return [
        "train",
        "mnist-cnn",
        "--data",
        str(small_idx),
        "--epochs",
        str(EPOCHS),
        "--batch-size",
        "32",
        "--set",
        "val_size=30",
        "--set",
        "conv1=4",
        "--set",
        "conv2=8",
        "--set",
        "hidden=16",
        "--no-progress",
        *extra,
    ]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, small_idx) -> Path:
    out = tmp_path_factory.mktemp("straight")
    result = run_cli(*tiny_mnist(small_idx, "--out", str(out)))
    assert result.returncode == 0, result.stderr
    (run,) = out.iterdir()
    return run


def history(run: Path) -> list[dict[str, str]]:
    with open(run / "history.csv") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def assert_same_run(resumed: Path, straight: Path) -> None:
    assert (resumed / "model.safetensors").read_bytes() == (
        straight / "model.safetensors"
    ).read_bytes()
    assert history(resumed) == history(straight)
    a, b = (json.loads((r / "metrics.json").read_text()) for r in (resumed, straight))
    assert {k: v for k, v in a.items() if "second" not in k} == {
        k: v for k, v in b.items() if "second" not in k
    }


def resume_state(run: Path) -> dict:
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    (state,) = [v for k, v in checkpoint["callbacks"].items() if "ResumeState" in k]
    return {
        "epoch": state["epoch"],
        "batches": state["batches"],
        "global_step": checkpoint["global_step"],
    }


@pytest.mark.parametrize(
    ("signum", "step"), [(signal.SIGTERM, 4), (signal.SIGINT, 13), (signal.SIGTERM, 10)]
)
def test_a_signal_checkpoints_the_step_and_resume_finishes_bitwise_equal(
    tmp_path, small_idx, uninterrupted, signal_at, signum, step
):
    signal_at(signum, step=step)
    out = tmp_path / "runs"
    stopped = run_cli(*tiny_mnist(small_idx, "--out", str(out)))
    (run,) = out.iterdir()
    name = signal.Signals(signum).name
    assert stopped.returncode == EXIT_INTERRUPTED, stopped.stderr
    epoch = (step - 1) // STEPS + 1
    assert f"stopped by {name} at epoch {epoch}, step {step}" in stopped.stderr
    assert f"resume with: shendu train --resume {run}" in stopped.stderr
    assert "Traceback" not in stopped.stderr and not (run / "model.safetensors").exists()
    state = resume_state(run)
    if step % STEPS:  # mid-epoch: the checkpoint is of this very step
        assert state == {"epoch": epoch - 1, "batches": step % STEPS, "global_step": step}
    else:  # the epoch's last step: validation and the epoch's own checkpoint come first
        assert state == {"epoch": epoch - 1, "batches": STEPS, "global_step": step}
    assert not list((run / "checkpoints").glob("*.tmp*"))

    resumed = run_cli("train", "--resume", str(run), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(run, uninterrupted)


def test_a_signal_during_validation_stops_after_the_epoch_checkpoint(
    tmp_path, small_idx, uninterrupted, signal_at
):
    signal_at(signal.SIGTERM, during_val_of=1)
    out = tmp_path / "runs"
    stopped = run_cli(*tiny_mnist(small_idx, "--out", str(out)))
    (run,) = out.iterdir()
    assert stopped.returncode == EXIT_INTERRUPTED, stopped.stderr
    assert resume_state(run) == {"epoch": 0, "batches": STEPS, "global_step": STEPS}
    assert len(history(run)) == 1
    assert run_cli("train", "--resume", str(run), "--no-progress").returncode == 0
    assert_same_run(run, uninterrupted)


def test_resume_twice_mid_epoch_is_still_exact(tmp_path, small_idx, uninterrupted, signal_at):
    signal_at(signal.SIGTERM, step=3)
    out = tmp_path / "runs"
    assert run_cli(*tiny_mnist(small_idx, "--out", str(out))).returncode == EXIT_INTERRUPTED
    (run,) = out.iterdir()
    signal_at(signal.SIGTERM, step=14)
    assert run_cli("train", "--resume", str(run), "--no-progress").returncode == EXIT_INTERRUPTED
    assert resume_state(run)["global_step"] == 14
    signal_at(signal.SIGTERM, step=10**6)  # never
    assert run_cli("train", "--resume", str(run), "--no-progress").returncode == 0
    assert_same_run(run, uninterrupted)


def test_every_sample_is_seen_once_per_epoch_across_a_resume():
    from shendu.data.sampling import EpochShuffle

    sampler = EpochShuffle(103, seed=3)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        full = list(sampler)
        assert sorted(i for i, _ in full) == list(range(103))
        for batches in (0, 1, 7, 12):
            resumed = EpochShuffle(103, seed=3)
            resumed.set_epoch(epoch)
            resumed.resume_at(epoch, batches, 8)
            assert full[: batches * 8] + list(resumed) == full
    sampler.set_epoch(0)
    first = [i for i, _ in sampler]
    sampler.set_epoch(1)
    assert [i for i, _ in sampler] != first  # a new order each epoch


def test_bucket_batches_resume_at_the_same_batch():
    from shendu.data.tokenize import BucketBatchSampler

    lengths = list(range(1, 300))
    sampler = BucketBatchSampler(lengths, 16, seed=1, pool=4)
    sampler.set_epoch(2)
    full = list(sampler)
    resumed = BucketBatchSampler(lengths, 16, seed=1, pool=4)
    resumed.set_epoch(2)
    resumed.resume_at(2, 5, 16)
    assert full[:5] + list(resumed) == full


def test_a_stopped_distillation_names_the_distill_resume_and_finishes(tmp_path, digits_run, signal_at):
    signal_at(signal.SIGTERM, step=3)  # inside the baseline, which distill trains first
    out = tmp_path / "runs"
    stopped = run_cli("distill", str(digits_run), "--student", "digits-mlp", "--set", "epochs=2", "--out", str(out),
                      "--no-progress")
    assert stopped.returncode == EXIT_INTERRUPTED, stopped.stderr
    (student,) = out.glob("digits-mlp-distilled-*")
    assert f"resume with: shendu distill --resume {student}" in " ".join(stopped.stderr.split())
    signal_at(signal.SIGTERM, step=10**6)  # never
    resumed = run_cli("distill", "--resume", str(student), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    (baseline,) = out.glob("digits-mlp-baseline-*")
    assert (student / "metrics.json").is_file() and (baseline / "metrics.json").is_file()

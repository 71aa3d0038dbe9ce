"""Chaos resume: kill `shendu train mnist-cnn` at random moments, resume it each time, and
compare the final weights with a run that was never stopped.

Each round starts (or resumes) the run in a fresh process, waits until its training loop has
started (it rewrites env.json just before the fit loop), sleeps a random part of an epoch and sends SIGKILL (no
warning: the run goes back to its last checkpoint) or SIGTERM (the run checkpoints the step it
is on, mid-epoch, and exits 75). After the last round the run is resumed to the end. The table
shows where every kill landed and where the next process resumed; the verdict compares
model.safetensors byte for byte, and history.csv and metrics.json without the timings.

    python benchmarks/chaos_resume.py [--kills 10] [--seed 0] [--epochs 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXIT_INTERRUPTED = 75


def train_args(epochs: int) -> list[str]:
    return [
        "train",
        "mnist-cnn",
        "--epochs",
        str(epochs),
        "--batch-size",
        "32",
        "--set",
        "conv1=4",
        "--set",
        "conv2=8",
        "--set",
        "hidden=16",
        "--seed",
        "0",
        "--no-progress",
    ]


def shendu(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "shendu", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def checkpoint_position(run: Path) -> dict[str, int] | None:
    import torch

    path = run / "checkpoints" / "last.ckpt"
    if not path.is_file():
        return None
    checkpoint = torch.load(path, weights_only=True)
    (state,) = [v for k, v in checkpoint["callbacks"].items() if "ResumeState" in k]
    return {
        "epoch": int(state["epoch"]) + 1,
        "batches": int(state["batches"]),
        "step": int(checkpoint["global_step"]),
    }


def history(run: Path) -> list[dict[str, str]]:
    with open(run / "history.csv") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def untimed(run: Path) -> dict[str, Any]:
    return {
        k: v for k, v in json.loads((run / "metrics.json").read_text()).items() if "second" not in k
    }


def env_stamp(run_root: Path) -> int:
    runs = list(run_root.iterdir()) if run_root.exists() else []
    env = runs[0] / "env.json" if runs else None
    return env.stat().st_mtime_ns if env is not None and env.exists() else 0


def wait_for_training(run_root: Path, before: int, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Until the process (re)writes env.json, which it does just before the fit loop starts
    (after every check of a resume), or ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if env_stamp(run_root) != before:
            return True
        time.sleep(0.02)
    return False


def chaos(
    kills: int = 10, seed: int = 0, epochs: int = 5, workdir: Path | None = None
) -> dict[str, Any]:
    """Run the experiment; return the rounds, the verdict and the figures."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chaos-"))
    rng = random.Random(seed)
    straight_root, chaos_root = workdir / "straight", workdir / "chaos"
    started = time.perf_counter()
    proc = shendu(*train_args(epochs), "--out", str(straight_root))
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the uninterrupted run failed: {err[-2000:]}")
    straight_seconds = time.perf_counter() - started
    (straight,) = straight_root.iterdir()
    epoch_seconds = (
        sum(float(r["seconds"]) for r in csv.DictReader(open(straight / "history.csv"))) / epochs
    )

    steps_per_epoch = checkpoint_position(straight)["step"] // epochs
    rounds: list[dict[str, Any]] = []
    run: Path | None = None
    for number in range(1, kills + 1):
        before = env_stamp(chaos_root)
        proc = shendu(
            *(
                ["train", "--resume", str(run), "--no-progress"]
                if run
                else [*train_args(epochs), "--out", str(chaos_root)]
            )
        )
        if not wait_for_training(chaos_root, before, proc):
            raise RuntimeError(
                f"round {number}: training never started: {proc.communicate()[1][-2000:]}"
            )
        (run,) = chaos_root.iterdir()
        if (
            number == 1
        ):  # the first kill after the first checkpoint, so that there is a run to resume
            while checkpoint_position(run) is None and proc.poll() is None:
                time.sleep(0.05)
        resumed_from = checkpoint_position(run)
        done = resumed_from["step"] / steps_per_epoch if resumed_from else 0.0
        # never more than half of the work left, so that every kill lands before the end
        time.sleep(min(rng.uniform(0.05, 0.6), 0.5 * (epochs - done)) * epoch_seconds)
        how = rng.choice([signal.SIGKILL, signal.SIGTERM])
        proc.send_signal(how)
        _, err = proc.communicate()
        if (run / "metrics.json").exists():
            raise RuntimeError(
                f"round {number}: the run finished before the kill; use more --epochs"
            )
        position = checkpoint_position(run)
        rounds.append(
            {
                "round": number,
                "signal": signal.Signals(how).name,
                "exit": proc.returncode,
                "resumed_from": resumed_from,
                "checkpoint_after": position,
            }
        )
    proc = shendu("train", "--resume", str(run), "--no-progress")
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the final resume failed: {err[-2000:]}")
    mid_epoch = sum(
        1
        for r in rounds
        if r["signal"] == "SIGTERM"
        and r["checkpoint_after"]
        and r["checkpoint_after"]["batches"] not in (0, steps_per_epoch)
    )
    identical = (
        (run / "model.safetensors").read_bytes() == (straight / "model.safetensors").read_bytes()
        and history(run) == history(straight)
        and untimed(run) == untimed(straight)
    )
    return {
        "kills": len(rounds),
        "rounds": rounds,
        "mid_epoch_resumes": mid_epoch,
        "identical": identical,
        "straight_seconds": round(straight_seconds, 1),
        "epoch_seconds": round(epoch_seconds, 2),
        "test_acc": untimed(run)["test_acc"],
        "straight": str(straight),
        "chaos": str(run),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    result = chaos(args.kills, args.seed, args.epochs)
    print(
        f"{'round':>5}  {'signal':7}  {'exit':>4}  {'resumed from':>30}  {'checkpoint after the kill':>26}"
    )
    for r in result["rounds"]:

        def where(p: dict | None) -> str:
            return (
                "— (new run)"
                if p is None
                else f"epoch {p['epoch']} batch {p['batches']} (step {p['step']})"
            )

        print(
            f"{r['round']:>5}  {r['signal']:7}  {r['exit']:>4}  {where(r['resumed_from']):>30}  "
            f"{where(r['checkpoint_after']):>26}"
        )
    print(
        f"\n{result['kills']} kills ({result['mid_epoch_resumes']} mid-epoch checkpoints from SIGTERM); "
        f"uninterrupted run {result['straight_seconds']} s, {result['epoch_seconds']} s/epoch; "
        f"test accuracy {result['test_acc'] * 100:.2f}%"
    )
    print(
        "final weights, history and metrics "
        + (
            "IDENTICAL to the uninterrupted run (bitwise)"
            if result["identical"]
            else "DIFFER from the uninterrupted run"
        )
    )
    sys.exit(0 if result["identical"] else 1)


if __name__ == "__main__":
    main()

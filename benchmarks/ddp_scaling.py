"""DDP scaling: `shendu train mnist-cnn` in one process vs `--devices 2` (Lightning DDP, gloo on
the CPU), same recipe code, same seed, same global batch; prints accuracy and wall-clock.

With two processes each reads half of every epoch; ``--batch-size`` is halved per process so
that the global batch, the number of optimizer steps and the learning-rate schedule stay those
of the single process (pass ``--same-per-process-batch`` to double the global batch instead).
On a 2-core machine each process gets one core, so the speed-up is what splitting one
machine's cores between processes buys (none, or a loss, is the expected answer there); on a
machine with several GPUs the same command runs one process per GPU.

    python benchmarks/ddp_scaling.py [--epochs 35] [--batch-size 128] [--seeds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path

from _train_run import train_run


def train(out: Path, devices: int, epochs: int, batch: int, seed: int) -> dict:
    run = train_run("mnist-cnn", out, "--epochs", str(epochs), "--batch-size", str(batch), "--seed", str(seed),
                    "--devices", str(devices), "--set", "accelerator=cpu")
    return {"devices": devices, "seed": seed, "batch_per_process": batch, "wall_seconds": round(run.wall_seconds, 1),
            "train_seconds": run.metrics["train_seconds"], "test_acc": run.metrics["test_acc"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=35, help="mnist-cnn's default")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128,
                        help="the global batch of the single process (mnist-cnn's default)")
    parser.add_argument("--same-per-process-batch", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ddp-"))
    rows = []
    for seed in range(args.seeds):
        for devices in (1, 2):
            batch = args.batch_size if devices == 1 or args.same_per_process_batch else args.batch_size // devices
            rows.append(train(root / f"d{devices}-s{seed}", devices, args.epochs, batch, seed))
            print(json.dumps(rows[-1]), flush=True)
    print(f"\nmnist-cnn, {args.epochs} epochs, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
          f"command: `{shlex.join(['python', *sys.argv])}`\n")
    print("| processes | batch per process | seeds | mean test accuracy | mean train time (s) | mean wall (s) |")
    print("|---|---|---|---|---|---|")
    means = {}
    for devices in (1, 2):
        mine = [r for r in rows if r["devices"] == devices]
        acc = sum(r["test_acc"] for r in mine) / len(mine)
        train_s = sum(r["train_seconds"] for r in mine) / len(mine)
        wall = sum(r["wall_seconds"] for r in mine) / len(mine)
        means[devices] = (acc, train_s, wall)
        print(f"| {devices} | {mine[0]['batch_per_process']} | {len(mine)} | {acc * 100:.2f}% | {train_s:.1f} | {wall:.1f} |")
    gap = (means[2][0] - means[1][0]) * 100
    speedup = means[1][1] / means[2][1]
    print(f"\n2 processes vs 1: accuracy {gap:+.2f} points ({'within' if abs(gap) <= 0.5 else 'NOT within'} 0.5), "
          f"training {speedup:.2f}x {'faster' if speedup >= 1 else 'the speed (slower)'}, "
          f"wall {means[1][2] / means[2][2]:.2f}x.")


if __name__ == "__main__":
    main()

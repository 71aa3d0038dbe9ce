"""mnist-cnn's defaults against issue 18's goal: >= 98.5% on the 1,000 held-out images for every
seed, each training in <= 90 s. Trains `shendu train mnist-cnn --seed S` (the `make run` command,
nothing else set) once per seed, one after the other, and prints one row per seed and a verdict.

The training time is metrics.json's ``train_seconds``: the sum of history.csv's ``seconds``,
Lightning's fit over every epoch (training, validation, checkpoints); the whole command (start-up,
data, the final test, the baselines, the report) is the ``command`` column. The time depends on
the cores torch gets (``OMP_NUM_THREADS``; env.json's ``torch_threads``) and on what else runs:
the table says both, with the 1-minute load average before each run.

    python benchmarks/mnist_speed.py [--seeds 0 1 2] [--set epochs=60 ...] [--budget 90]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _train_run import train_run

from shendu.train.env import describe_cpu


def train(out: Path, seed: int, sets: list[str]) -> dict:
    """One `shendu train mnist-cnn` run into ``out``; its metrics, config and env."""
    load = os.getloadavg()[0]
    run = train_run("mnist-cnn", out, "--seed", str(seed), *[arg for item in sets for arg in ("--set", item)])
    return {"seed": seed, "test_acc": run.metrics["test_acc"], "train_seconds": run.metrics["train_seconds"],
            "epochs": run.metrics["epochs_run"], "command_seconds": run.wall_seconds, "load": load, "env": run.env,
            "config": run.config}


def verdict(rows: list[dict], target: float, budget: float) -> str:
    """One sentence: whether every seed reached ``target`` (a fraction) within ``budget`` seconds."""
    short = [r["seed"] for r in rows if r["test_acc"] < target]
    slow = [r["seed"] for r in rows if r["train_seconds"] > budget]
    seeds = ", ".join(str(r["seed"]) for r in rows)
    if not short and not slow:
        return f"MET: every seed ({seeds}) reached >= {target:.1%} with training <= {budget:g} s."
    parts = []
    if short:
        parts.append(f"seed(s) {', '.join(map(str, short))} below {target:.1%}")
    if slow:
        parts.append(f"seed(s) {', '.join(map(str, slow))} over {budget:g} s")
    return f"NOT MET: {'; '.join(parts)}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a recipe setting passed on as `--set KEY=VALUE` (e.g. epochs=60); repeatable")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds of training allowed per seed")
    parser.add_argument("--target", type=float, default=0.985, help="test accuracy every seed must reach")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mnist-speed-"))
    rows = []
    for seed in args.seeds:
        rows.append(train(root / f"seed{seed}", seed, args.sets))
        row = rows[-1]
        print(f"seed {seed}: {row['test_acc']:.2%} in {row['train_seconds']:.1f} s", file=sys.stderr, flush=True)
    env, config = rows[0]["env"], rows[0]["config"]
    sets = "".join(f" --set {item}" for item in args.sets)
    seeds = " ".join(map(str, args.seeds))
    print(f"`python benchmarks/mnist_speed.py --seeds {seeds}{sets}`: `shendu train mnist-cnn --seed S{sets}`")
    print(f"CPU: {describe_cpu(env['cpu'])}, {env['cpu_count']} cores, torch threads {env['torch_threads']}; "
          f"torch {env['packages']['torch']}")
    print(f"settings: epochs {config['epochs']}, batch {config['batch_size']}, lr {config['lr']:g} "
          f"({config['scheduler']}), precision {config['precision']}, channels_last {config['channels_last']}, "
          f"label_smoothing {config['label_smoothing']:g}\n")
    print("| seed | test accuracy | training (s) | epochs | s/epoch | whole command (s) | load average before |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['test_acc']:.2%} | {r['train_seconds']:.1f} | {r['epochs']} | "
              f"{r['train_seconds'] / r['epochs']:.2f} | {r['command_seconds']:.1f} | {r['load']:.2f} |")
    mean_acc = sum(r["test_acc"] for r in rows) / len(rows)
    print(f"\nmean {mean_acc:.2%}, slowest training {max(r['train_seconds'] for r in rows):.1f} s. "
          + verdict(rows, args.target, args.budget))


if __name__ == "__main__":
    main()

"""detect-digits: mAP and time per epoch of the recipe's defaults.

    python benchmarks/detect_digits.py [--out runs] [--seed 0] [-- extra `shendu train` options]

Trains ``detect-digits`` through the CLI (2,000 training canvases of 2-4 MNIST digits, 4
epochs) and prints mAP@0.5, mAP@[.5:.95] and per-epoch figures against the target
mAP@0.5 >= 0.90, from the run folder's metrics.json and history.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs", help="where the run folder goes")
    parser.add_argument("--seed", type=int, default=0)
    args, extra = parser.parse_known_args()
    out = Path(args.out) / "detect-digits-bench"
    subprocess.run([sys.executable, "-m", "shendu", "train", "detect-digits", "--seed", str(args.seed),
                    "--out", str(out), "--no-progress", *[e for e in extra if e != "--"]], check=True)
    run = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    metrics = json.loads((run / "metrics.json").read_text())
    with open(run / "history.csv", newline="") as f:
        history = list(csv.DictReader(f))
    print("\n| epoch | train loss | val loss | val mAP@0.5 | val mAP@[.5:.95] | seconds |")
    print("|---|---|---|---|---|---|")
    for row in history:
        print(f"| {row['epoch']} | {float(row['train_loss']):.4f} | {float(row['val_loss']):.4f} | "
              f"{float(row['val_map_50']):.4f} | {float(row['val_map']):.4f} | {float(row['seconds']):.1f} |")
    verdict = "met" if metrics["test_map_50"] >= 0.90 else "NOT met"
    print(f"\ntest mAP@0.5 {metrics['test_map_50']:.4f}, mAP@[.5:.95] {metrics['test_map']:.4f}, "
          f"mAP@0.75 {metrics['test_map_75']:.4f} on {metrics['test_samples']} held-out canvases "
          f"({metrics['test_objects']} digits); {metrics['seconds_per_epoch']:.1f} s/epoch, "
          f"{metrics['train_examples_per_second']:.1f} canvases/s (target mAP@0.5 >= 0.90: {verdict}); run folder {run}")


if __name__ == "__main__":
    main()

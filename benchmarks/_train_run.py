"""What the benchmarks that time `shendu train` share: run the command as a user would (a fresh
`python -m shendu train` process into an empty folder), time it, and read back the run folder.

    from _train_run import train_run    # benchmarks/ is on sys.path when a benchmark runs
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainedRun:
    """A finished run: its folder, the command's wall-clock seconds and the folder's JSON files."""

    path: Path
    wall_seconds: float
    metrics: dict[str, Any]
    config: dict[str, Any]  # config.json's "config": every setting the run trained with
    env: dict[str, Any]


def train_run(recipe: str, out: Path, *args: str) -> TrainedRun:
    """`shendu train RECIPE ARGS --out OUT --no-progress` in a fresh process; ``out`` must not
    hold a run folder yet. Exits with the command's output tail if it fails."""
    command = [sys.executable, "-m", "shendu", "train", recipe, *args, "--out", str(out), "--no-progress"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"`{shlex.join(command[2:])}` failed (exit {result.returncode}):\n"
                         f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    (run,) = Path(out).iterdir()
    config = json.loads((run / "config.json").read_text())["config"]
    return TrainedRun(run, wall, json.loads((run / "metrics.json").read_text()), config,
                      json.loads((run / "env.json").read_text()))

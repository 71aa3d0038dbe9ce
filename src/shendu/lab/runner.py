"""Run a lab experiment over its seeds into an ordinary run folder.

    runs/lab-<experiment>-<YYYYmmdd-HHMMSS>/
      config.json    experiment, engine, seeds, size and every setting
      env.json       versions, platform, threads, git commit, the command
      per_seed.json  each seed's numbers as the experiment returned them
      *.png          the experiment's plots
      report.md      conclusions computed from the numbers, tables, pictures
      metrics.json   results (mean and spread at every leaf), conclusions, seconds: written
                     last, so a folder with metrics.json is complete

Every file goes through :class:`shendu.runfolder.RunFolder` (atomic writes).
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from shendu.lab import report, stats
from shendu.lab.engines import get_engine, one_thread
from shendu.lab.registry import check_engine, get_experiment
from shendu.runfolder import CONFIG, ENV, METRICS, REPORT, RunFolder

log = logging.getLogger(__name__)

PER_SEED = "per_seed.json"
_PACKAGES = ("shendu", "numpy", "torch", "scikit-learn", "matplotlib")


@dataclass
class LabResult:
    """What a lab run produced: its folder, aggregated results and conclusions."""

    folder: RunFolder
    results: dict[str, Any]
    conclusions: list[str]
    seconds: float


def command_line(name: str, engine: str, seeds: int, seed: int, quick: bool) -> str:
    """The command that repeats a run (every choice spelled out)."""
    return (f"shendu lab {name} --engine {engine} --seeds {seeds}" + (f" --seed {seed}" if seed else "")
            + (" --quick" if quick else ""))


def run_lab(name: str, engine: str = "torch", seeds: int | None = None, seed: int = 0, quick: bool = False,
            out: Path | str = "runs", progress: Callable[[str], None] | None = None) -> LabResult:
    """Run experiment ``name`` for ``seeds`` seeds from ``seed`` and write its run folder under ``out``.

    Raises:
        ShenduError: an unknown experiment, an engine it cannot use, a bad seed count.
    """
    from shendu.errors import ShenduError

    experiment = get_experiment(name)
    check_engine(experiment, engine)
    count = experiment.seeds if seeds is None else seeds
    if count < 1:
        raise ShenduError(f"--seeds must be at least 1 (how many seeds to repeat over); got {count}.")
    if seed < 0:
        raise ShenduError(f"--seed must be >= 0 (the first seed); got {seed}.")
    module = experiment.load()
    settings = module.QUICK if quick else module.Settings()
    seed_values = stats.seed_list(seed, count)
    command = command_line(name, engine, count, seed, quick)
    folder = RunFolder.create(out, f"lab-{name}")
    folder.write_json(CONFIG, {"experiment": name, "engine": engine, "seeds": seed_values, "quick": quick,
                               "command": command, "settings": asdict(settings)})
    the_engine = get_engine(engine)
    say = progress or (lambda text: log.info(text))
    started = time.perf_counter()
    with one_thread(the_engine):
        folder.write_json(ENV, lab_env(the_engine, command))
        once = None
        if hasattr(module, "run_once"):
            say(f"{name}: seed-independent part")
            once = stats.clean(module.run_once(settings, the_engine))
        per_seed = []
        for i, value in enumerate(seed_values, start=1):
            say(f"{name}: seed {value} ({i} of {count})")
            the_engine.manual_seed(value)
            per_seed.append(stats.clean(module.run_seed(settings, the_engine, value)))
    folder.write_json(PER_SEED, {"seeds": seed_values, "per_seed": per_seed})
    results = stats.aggregate(per_seed)
    if once is not None:
        results["once"] = once
    results = stats.clean(results)
    conclusions = module.conclude(results)
    say(f"{name}: plots and report")
    pictures = module.plot(results, folder.path)
    seconds = time.perf_counter() - started
    body = module.render(results, settings)
    missing = [p for p in pictures if f"({p})" not in "\n".join(body)]
    body += [line for p in missing for line in report.picture(p)]
    env = folder.read_json(ENV)
    folder.write_text(REPORT, report.render_report(module.TITLE, module.QUESTION, command, engine, seed_values, quick,
                                                   seconds, conclusions, body, settings, env))
    folder.write_json(METRICS, {"experiment": name, "engine": engine, "seeds": seed_values, "quick": quick,
                                "seconds": round(seconds, 3), "conclusions": conclusions, "results": results})
    return LabResult(folder, results, conclusions, seconds)


def lab_env(engine: Any, command: str) -> dict[str, Any]:
    """env.json for a lab run: what the numbers were measured on."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "engine": engine.name, "threads": engine.lib.get_num_threads(),
            "packages": versions, "git_commit": _git_commit(), "command": command}


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None

"""Lab experiments run once per test session at --quick size, from the CLI, for the tests to read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

QUICK_SEEDS = "2"


@pytest.fixture(scope="session")
def lab_run(tmp_path_factory):
    """``lab_run(name)``: the run folder of `shendu lab NAME --quick --seeds 2` (run on first use)."""
    done: dict[str, tuple[Path, str]] = {}

    def run(name: str) -> tuple[Path, str]:
        if name not in done:
            out = tmp_path_factory.mktemp(f"lab-{name}")
            result = run_cli("lab", name, "--quick", "--seeds", QUICK_SEEDS, "--out", str(out))
            assert result.returncode == 0, result.stdout + result.stderr
            (folder,) = out.iterdir()
            done[name] = (folder, result.stdout)
        return done[name]

    return run


def metrics_of(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())

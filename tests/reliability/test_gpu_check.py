"""`make gpu-check`'s script, on the CPU: the same code path a GPU machine runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_check_runs_recipes_and_prints_a_table(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--device", "cpu",
                             "--recipes", "xor", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| xor")]
    assert len(rows) == 1 and "failed" not in rows[0] and "test_acc" in rows[0]


def test_gpu_check_says_when_there_is_no_gpu(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--recipes", "xor"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "torch sees no CUDA GPU here" in result.stderr

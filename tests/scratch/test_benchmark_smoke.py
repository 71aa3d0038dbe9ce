"""benchmarks/scratch_vs_torch.py --quick runs and reports both engines' throughput ratios."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "scratch_vs_torch.py"


@pytest.mark.slow  # 12 s of two engines training; make test-slow runs it
def test_quick_benchmark_prints_both_ratios():
    done = subprocess.run([sys.executable, str(BENCHMARK), "--quick", "--threads", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "numpy" in out and "torch" in out and "1 threads" in out, out
    for workload in ("MNISTNet", "XOR 2-4-2"):
        match = re.search(rf"ratio scratch/torch, {workload}[^:]*: (\d+\.\d+) \(target >= [\d.]+: (met|MISSED)\)", out)
        assert match, f"no ratio line for {workload} in:\n{out}"
        assert float(match.group(1)) > 0


def test_help_describes_the_flags():
    done = subprocess.run([sys.executable, str(BENCHMARK), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--threads" in done.stdout and "--quick" in done.stdout

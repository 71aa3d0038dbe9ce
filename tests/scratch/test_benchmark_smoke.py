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


def test_help_describes_the_flags(capsys, monkeypatch):
    """In process (torch is imported already): a subprocess spent ~7 s importing it for --help."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scratch_vs_torch", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exited:
        module.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--threads" in out and "--quick" in out

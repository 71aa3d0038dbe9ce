"""kill -9 at any moment: checkpoints always load (the old one or the new one), no temporary
file outlives the next save, and a run killed again and again ends bitwise equal to one never
killed (the long version: ``benchmarks/chaos_resume.py``)."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shendu.runfolder import atomic_write_bytes

WRITER = r"""
import hashlib, os, sys
from shendu.runfolder import atomic_write_bytes
path = sys.argv[1]
fixed = os.urandom(16 << 20)
prefix = hashlib.sha256(fixed)
i = 0
print("ready", flush=True)
while True:  # the time goes into writing: each file is fixed + counter + SHA-256 of both
    i += 1
    digest = prefix.copy()
    digest.update(i.to_bytes(8, "little"))
    atomic_write_bytes(path, fixed + i.to_bytes(8, "little") + digest.digest())
"""


def intact(path: Path) -> bool:
    data = path.read_bytes()
    return hashlib.sha256(data[:-32]).digest() == data[-32:]


def test_kill_9_during_checkpoint_writes_never_leaves_a_broken_checkpoint(tmp_path):
    target = tmp_path / "checkpoints" / "last.ckpt"
    body = b"first" * 1000
    atomic_write_bytes(target, body + hashlib.sha256(body).digest())
    rng = random.Random(0)
    interrupted_writes = kills = 0
    # 20 kills at least, and on until 5 of them landed inside a write (a loaded machine may not
    # run the writer far before some kills): every kill, in a write or not, must leave it whole
    while kills < 20 or (interrupted_writes < 5 and kills < 200):
        kills += 1
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE
        )
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert intact(target)  # the old checkpoint or a new one, whole
        interrupted_writes += bool(list(target.parent.glob(".last.ckpt.*.tmp")))
    assert interrupted_writes >= 5  # kills that landed inside a write (16 MB each)
    atomic_write_bytes(target, body + hashlib.sha256(body).digest())
    assert sorted(p.name for p in target.parent.iterdir()) == ["last.ckpt"]


@pytest.mark.slow
def test_kill_9_and_sigterm_at_ten_random_moments_resume_to_the_same_weights(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from chaos_resume import chaos

    result = chaos(kills=10, seed=0, workdir=tmp_path)
    assert result["kills"] == 10 and result["mid_epoch_resumes"] >= 1
    assert result["identical"], result


def test_sigterm_to_a_real_training_process_checkpoints_prints_the_command_and_exits_75(tmp_path, small_idx):
    """What `make run` does when its terminal or a scheduler sends SIGTERM to the process group."""
    import os

    from tests.conftest import run_cli

    out = tmp_path / "runs"
    command = [sys.executable, "-m", "shendu", "train", "mnist-cnn", "--data", str(small_idx), "--epochs", "3",
               "--batch-size", "32", "--set", "val_size=30", "--out", str(out), "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env={**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "300"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*/history.csv")):  # an epoch done: training runs
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 75, err
    (run,) = out.iterdir()
    lines = [line for line in err.splitlines() if "resume with" in line]
    assert len(lines) == 1 and lines[0].startswith("stopped by SIGTERM at epoch ")
    assert lines[0].endswith(f"checkpoint saved; resume with: shendu train --resume {run}")
    assert "Traceback" not in err and (run / "checkpoints" / "last.ckpt").is_file()
    resumed = run_cli("train", "--resume", str(run), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert (run / "metrics.json").is_file()

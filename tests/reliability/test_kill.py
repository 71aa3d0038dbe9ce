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
    interrupted_writes = 0
    for _ in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE
        )
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert intact(target)  # the old checkpoint or a new one, whole
        interrupted_writes += bool(list(target.parent.glob(".last.ckpt.*.tmp")))
    assert interrupted_writes >= 5  # most kills landed inside a write (16 MB each)
    atomic_write_bytes(target, body + hashlib.sha256(body).digest())
    assert sorted(p.name for p in target.parent.iterdir()) == ["last.ckpt"]


@pytest.mark.slow
def test_kill_9_and_sigterm_at_ten_random_moments_resume_to_the_same_weights(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from chaos_resume import chaos

    result = chaos(kills=10, seed=0, workdir=tmp_path)
    assert result["kills"] == 10 and result["mid_epoch_resumes"] >= 1
    assert result["identical"], result

"""Shared fixtures: files in the real upstream formats, small trained runs, a CLI runner."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file exactly as in the MNIST distribution."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())
    return path


@pytest.fixture(scope="session")
def mnist_sample():
    from shendu.data.mnist import load_mnist_sample

    return load_mnist_sample()


@pytest.fixture(scope="session")
def mnist_idx_dir(tmp_path_factory, mnist_sample) -> Path:
    """A torchvision-layout MNIST folder (``MNIST/raw``) of real MNIST digits: 1,000 train, 200 test."""
    images, labels = mnist_sample
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))
    train, test = order[:1000], order[1000:1200]
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", images[train])
    write_idx(raw / "train-labels-idx1-ubyte", labels[train])
    write_idx(raw / "t10k-images-idx3-ubyte", images[test])
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[test])
    return root


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m shendu ARGS`` in a fresh process, as a user would."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "shendu", *args], capture_output=True, text=True, cwd=cwd,
        timeout=timeout, env=env,
    )


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory) -> Path:
    """A complete digits-mlp run folder (8 epochs), trained once per test session."""
    out = tmp_path_factory.mktemp("runs")
    result = run_cli("train", "digits-mlp", "--epochs", "8", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


def folder_digest(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes, to prove a failed command changed nothing."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}

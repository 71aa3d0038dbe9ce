"""Shared fixtures: files in the real upstream formats, small trained runs, a CLI runner."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the width `shendu` prints its tables at, in the tests (rich reads it when its consoles are made)
os.environ["COLUMNS"] = "200"
T = TypeVar("T")
# `pytest -n N` (make test): N workers share the cores, so each (and every process it starts) gets
# cores/N torch threads rather than all of them; torch reads this when it is first imported
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault("OMP_NUM_THREADS",
                          str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file exactly as in the MNIST distribution."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())
    return path


def train_once(tmp_path_factory, name: str, train: Callable[[Path], T]) -> T:
    """``train(folder)`` once per test session, also under `pytest -n N` (make test): the first
    worker that asks trains into a folder every worker shares, the others wait for it and reuse
    what it returned (a Path or a tuple of Paths). Without workers, an ordinary session folder."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return train(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "shared"  # this session's, above every worker's own
    shared.mkdir(exist_ok=True)
    record = shared / f"{name}.json"
    with FileLock(str(shared / f"{name}.lock")):
        if not record.is_file():
            folder = shared / name
            shutil.rmtree(folder, ignore_errors=True)  # left by a worker whose training failed
            folder.mkdir()
            value = train(folder)
            record.write_text(json.dumps([str(p) for p in value] if isinstance(value, tuple) else str(value)))
        saved = json.loads(record.read_text())
    return tuple(Path(p) for p in saved) if isinstance(saved, list) else Path(saved)  # type: ignore[return-value]


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


@dataclass
class CliResult:
    """What a `shendu` command printed and how it exited (the fields of a CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    """Run `shendu ARGS` in this process, as `python -m shendu ARGS` would run it (same Typer app,
    same stdout/stderr, same exit code), without paying ~4 s of imports for a fresh process. An
    exception that escapes the command is returned as the traceback a user would see."""
    import traceback
    import warnings

    from typer.testing import CliRunner

    from shendu.cli import app

    with contextlib.chdir(cwd or os.getcwd()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return CliResult(result.exit_code, result.stdout, stderr)


def run_cli_process(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m shendu ARGS`` in a fresh process: for what needs one (--devices 2 starts
    more processes; a kill; the cost of imports)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "shendu", *args], capture_output=True, text=True, cwd=cwd,
        timeout=timeout, env=env,
    )


def trained_once(tmp_path_factory, name: str, *args: str, expect: str = "") -> Path:
    """`shendu train ARGS --out FOLDER --no-progress` once per test session (:func:`train_once`);
    the one run folder it wrote. ``expect``: a line the command must print."""

    def train(out: Path) -> Path:
        result = run_cli("train", *args, "--out", str(out), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        assert expect in result.stdout
        (run,) = out.iterdir()
        return run

    return train_once(tmp_path_factory, name, train)


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory) -> Path:
    """A complete digits-mlp run folder (8 epochs), trained once per test session."""
    return trained_once(tmp_path_factory, "runs", "digits-mlp", "--epochs", "8")


def folder_digest(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes, to prove a failed command changed nothing."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cifar_like_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """32x32 RGB images a CNN can learn: class k is a square of hue k on a noisy background."""
    n = len(labels)
    images = rng.integers(0, 90, size=(n, 3, 32, 32), dtype=np.uint8)
    hues = np.array([[230, 40, 40], [40, 230, 40], [40, 40, 230], [230, 230, 40], [230, 40, 230],
                     [40, 230, 230], [240, 140, 20], [140, 20, 240], [20, 240, 140], [250, 250, 250]], np.uint8)
    for i, k in enumerate(labels):
        top, left = rng.integers(2, 14, size=2)
        images[i, :, top : top + 16, left : left + 16] = hues[k][:, None, None]
    return images


def write_cifar_folder(root: Path, per_batch: int = 60, test: int = 100, seed: int = 0) -> Path:
    """Write ``root/cifar-10-batches-py`` exactly as the CIFAR-10 python version lays it out:
    five pickled training batches, a test batch and batches.meta (protocol 2 dicts)."""
    import pickle

    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = [(f"data_batch_{i}", f"training batch {i} of 5", per_batch) for i in range(1, 6)]
    for name, label, count in [*batches, ("test_batch", "testing batch 1 of 1", test)]:
        labels = np.arange(count) % 10
        rng.shuffle(labels)
        data = cifar_like_images(labels, rng).reshape(count, 3072)  # (N, C, H, W) -> (N, 3072)
        entry = {"batch_label": label, "labels": labels.tolist(), "data": data,
                 "filenames": [f"img_{name}_{i}.png" for i in range(count)]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {"num_cases_per_batch": per_batch, "label_names": CIFAR_CLASSES, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return root


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    return write_cifar_folder(tmp_path_factory.mktemp("cifar"))


@pytest.fixture(scope="session")
def small_digit_folder(tmp_path_factory) -> Path:
    from shendu.data.folder import export_digits_folder

    return export_digits_folder(tmp_path_factory.mktemp("folder") / "digits", per_class=20)


DETECT_TINY = ("--set", "train_canvases=64", "--set", "val_canvases=8", "--set", "test_canvases=8")
TEXT_SMALL = ("--set", "train_limit=1500", "--set", "test_size=200", "--set", "val_size=100", "--set", "max_length=160",
              "--set", "vocab_size=5000")


@pytest.fixture(scope="session")
def det_run(tmp_path_factory) -> Path:
    """A detect-digits run (3 epochs on 64 canvases), trained once per test session."""
    return trained_once(tmp_path_factory, "det", "detect-digits", "--epochs", "3", *DETECT_TINY,
                        expect="test mAP@0.5")


@pytest.fixture(scope="session")
def attention_run(tmp_path_factory) -> Path:
    """An imdb-lstm-attention run (8 epochs on 1,500 reviews of <= 96 tokens), trained once per test session."""
    # no baselines: TF-IDF of 1,800 reviews takes ~4 s (the text recipes' tests exercise them)
    # 96 tokens, not TEXT_SMALL's 160: the same learning in ~60% of the time (the longest fixture of make test)
    return trained_once(tmp_path_factory, "text", "imdb-lstm-attention", "--epochs", "8", "--lr", "5e-3", *TEXT_SMALL,
                        "--set", "max_length=96", "--set", "baseline=false")


SPEECH_SMALL = ("--set", "train_clips=400", "--set", "val_clips=40", "--set", "test_clips=40", "--set", "min_digits=1",
                "--set", "max_digits=3", "--set", "hidden_size=64", "--set", "mlp_dim=128")


@pytest.fixture(scope="session")
def speech_run(tmp_path_factory) -> tuple[Path, Path]:
    """A speech-ctc run (30 epochs on 400 espeak-ng clips) and its clip cache, trained once per session."""

    def train(root: Path) -> tuple[Path, Path]:
        result = run_cli("train", "speech-ctc", "--epochs", "30", "--batch-size", "16", "--lr", "3e-3", *SPEECH_SMALL,
                         "--set", f"cache_dir={root / 'cache'}", "--out", str(root / "runs"), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "test word error rate" in result.stdout
        (run,) = (root / "runs").iterdir()
        return run, root / "cache"

    return train_once(tmp_path_factory, "speech", train)

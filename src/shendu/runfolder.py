"""The run folder: the contract between train, evaluate, predict, compress, export and serve.

Layout (ARCHITECTURE.md)::

    runs/<recipe>-<YYYYmmdd-HHMMSS>/
      config.json  model.json  model.safetensors  metrics.json  history.csv
      curves.png   report.md   env.json  checkpoints/  tb/

Every file is written atomically (temporary file in the same folder, fsync, rename), so a
crash never leaves a half-written file under its real name. ``model.json`` records the
SHA-256 of ``model.safetensors``; loading verifies it, so a corrupt or swapped weights file
is reported instead of silently producing wrong predictions.

This module sits at the bottom of the layer stack: it knows files, not models.
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shendu.errors import RunFolderError

CONFIG = "config.json"
MODEL = "model.json"
WEIGHTS = "model.safetensors"
METRICS = "metrics.json"
HISTORY = "history.csv"
CURVES = "curves.png"
REPORT = "report.md"
ENV = "env.json"
CHECKPOINTS = "checkpoints"
TENSORBOARD = "tb"

REQUIRED_FOR_INFERENCE = (CONFIG, MODEL, WEIGHTS)
MAX_JSON_BYTES = 64 * 2**20  # model.json of the largest vocabulary is a few MB
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the new one.

    The data goes to a temporary file beside ``path``, is fsynced, and is renamed over it; the
    folder is fsynced too, so the rename survives a power cut. A writer killed mid-write (kill -9)
    leaves its temporary file behind: the next write of the same path removes it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):  # left by a killed writer
        stale.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def new_run_name(recipe: str, now: _dt.datetime | None = None) -> str:
    now = now or _dt.datetime.now()
    return f"{recipe}-{now:%Y%m%d-%H%M%S}"


@dataclass(frozen=True)
class RunFolder:
    """A run folder on disk. Construct with :meth:`create` (new) or :meth:`open` (existing)."""

    path: Path

    @classmethod
    def create(cls, root: Path | str, recipe: str) -> RunFolder:
        """Create ``root/<recipe>-<timestamp>`` (with a ``-2``, ``-3`` suffix if taken)."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"--out must be a folder to put run folders in; got {root}, which is a file. "
                                 "Pass a folder (it is created if missing), e.g. --out runs.")
        base = new_run_name(recipe)
        path = root / base
        suffix = 2
        while path.exists():
            path = root / f"{base}-{suffix}"
            suffix += 1
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create the run folder {path} ({exc.strerror or type(exc).__name__}). "
                                 "Pass an --out folder you can write to, e.g. --out runs.") from None
        return cls(path)

    @classmethod
    def open(cls, path: Path | str, require: tuple[str, ...] = REQUIRED_FOR_INFERENCE) -> RunFolder:
        """Open an existing run folder, checking that the files in ``require`` are there."""
        path = Path(path)
        if not path.is_dir():
            raise RunFolderError(
                f"RUN must be a run folder made by `shendu train` (it holds {', '.join(require)}); "
                f"got {path} ({'a file' if path.exists() else 'no such folder'}). "
                "List your runs with `ls runs/`."
            )
        missing = [name for name in require if not (path / name).is_file()]
        if missing:
            raise RunFolderError(
                f"Run folder {path} is missing {', '.join(missing)}. A run folder needs "
                f"{', '.join(require)}; the run may have been interrupted before it finished. "
                f"Resume it with `shendu train --resume {path}` or train again."
            )
        return cls(path)

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def tensorboard(self) -> Path:
        return self.path / TENSORBOARD

    @property
    def is_complete(self) -> bool:
        """A run is complete once its model file (weights, or ONNX) and its final metrics are written."""
        return (self.file(WEIGHTS).is_file() or self.file("model.onnx").is_file()) and self.file(METRICS).is_file()

    # -- JSON -------------------------------------------------------------------------------

    def write_json(self, name: str, obj: Any) -> Path:
        atomic_write_json(self.file(name), obj)
        return self.file(name)

    def read_json(self, name: str) -> dict[str, Any]:
        path = self.file(name)
        if not path.is_file():
            raise RunFolderError(f"{path} is missing; a complete run folder has {name}.")
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise RunFolderError(f"{path} is {size:,} bytes; a run folder's JSON files are far smaller, and files "
                                 f"over {MAX_JSON_BYTES:,} bytes are refused. Restore it from a backup or train again.")
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except RecursionError:
            raise RunFolderError(f"{path} must be a JSON object written by `shendu train`; it nests lists or objects "
                                 "too deeply to be one. Restore it from a backup or train again.") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of over 4,300 digits
            raise RunFolderError(
                f"{path} must be a JSON object written by `shendu train`; it could not be "
                f"parsed ({str(exc)[:200]}). Restore it from a backup or train again."
            ) from None
        if not isinstance(value, dict):
            raise RunFolderError(
                f"{path} must hold a JSON object; got a {type(value).__name__}. "
                "Restore it from a backup or train again."
            )
        return value

    def write_text(self, name: str, text: str) -> Path:
        atomic_write_text(self.file(name), text)
        return self.file(name)

    # -- weights ----------------------------------------------------------------------------

    def save_weights(self, state_dict: dict[str, Any], metadata: dict[str, str] | None = None) -> str:
        """Save a torch state_dict as ``model.safetensors`` atomically; return its SHA-256.

        Keep ``metadata`` to one key: safetensors writes a metadata map in no fixed order, so
        several keys would make identical weights produce different bytes (and checksums).
        """
        from safetensors.torch import save

        tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
        data = save(tensors, metadata=metadata)
        atomic_write_bytes(self.file(WEIGHTS), data)
        return hashlib.sha256(data).hexdigest()

    def read_verified(self, name: str, expected_sha256: str) -> bytes:
        """The bytes of ``name`` (e.g. ``model.onnx``), checked against ``expected_sha256``."""
        path = self.file(name)
        if not path.is_file():
            raise RunFolderError(f"{path} is missing; export or train the run again, or restore the file.")
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            raise RunFolderError(
                f"{path} is corrupt or was replaced: its SHA-256 is {actual[:16]}…, but model.json expects "
                f"{expected_sha256[:16]}…. Restore the file from a backup or make the run again."
            )
        return data

    def load_weights(self, expected_sha256: str | None = None) -> dict[str, Any]:
        """Load ``model.safetensors`` as a dict of torch tensors, verifying its checksum."""
        from safetensors import SafetensorError
        from safetensors.torch import load

        path = self.file(WEIGHTS)
        if not path.is_file():
            raise RunFolderError(f"{path} is missing; train the run again or restore the file.")
        data = path.read_bytes()
        if expected_sha256 is not None:
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected_sha256:
                raise RunFolderError(
                    f"{path} is corrupt or was replaced: its SHA-256 is {actual[:16]}…, but "
                    f"model.json expects {expected_sha256[:16]}…. Restore the file from a "
                    "backup or train the run again."
                )
        try:
            return load(data)
        except (SafetensorError, ValueError, RuntimeError) as exc:
            raise RunFolderError(
                f"{path} must be a safetensors file of model weights; it could not be read "
                f"({exc}). Restore it from a backup or train the run again."
            ) from None

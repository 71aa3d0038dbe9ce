"""Checkpoints written atomically in place and read back without pickle."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from shendu.errors import RunFolderError
from shendu.runfolder import atomic_write_bytes


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O for local run folders.

    Lightning's default stages a checkpoint in the system temp folder and moves it, which
    is a copy (not atomic) when that folder is another filesystem, and never fsyncs. Here
    the temporary file sits beside the target and is renamed over it after an fsync, and
    loading always uses ``torch.load(weights_only=True)``, so a checkpoint cannot run code.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        atomic_write_bytes(Path(path), buffer.getvalue())

    def load_checkpoint(self, path: Any, map_location: Any = None, weights_only: bool | None = None) -> dict[str, Any]:
        return load_checkpoint(Path(path))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a training checkpoint (tensors and plain values only)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RunFolderError(f"checkpoint {path} is missing.") from None
    except Exception as exc:  # torch raises several types for a damaged zip/pickle stream
        raise RunFolderError(f"checkpoint {path} is corrupt or not a shendu training checkpoint "
                             f"({_why(exc, path)}). Delete it and train again.") from None


def _why(exc: Exception, path: Path) -> str:
    """What was wrong, in our words: torch's own message may advise ``weights_only=False``,
    which would run the file's code."""
    if path.stat().st_size == 0:
        return "the file is empty"
    first = (str(exc).strip().splitlines() or [""])[0]
    if "weights_only" in str(exc) or "Unsupported global" in str(exc):
        return "it holds Python objects other than tensors and plain values, which shendu never unpickles"
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__

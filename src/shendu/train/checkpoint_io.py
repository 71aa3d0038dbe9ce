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
        raise RunFolderError(
            f"checkpoint {path} is corrupt or not a shendu training checkpoint ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}). Delete it and train again."
        ) from None

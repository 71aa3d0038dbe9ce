"""env.json: what a run ran on (versions, platform, threads, data checksum, git commit)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from shendu.data.base import DataBundle, dataset_checksum

_PACKAGES = ("shendu", "torch", "torchvision", "lightning", "torchmetrics", "numpy", "scikit-learn", "safetensors", "mlxtend")


def collect_env(data: DataBundle) -> dict[str, Any]:
    """The facts of this machine and of ``data``: ``data.sha256`` covers every split as read,
    ``data.test_sha256`` the test split exactly as the model reads it (what evaluate checks)."""
    import torch

    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "packages": versions,
        "data": {"source": data.source, "sha256": data.checksum, "test_sha256": dataset_checksum(data.test)},
        "git_commit": _git_commit(),
        "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None

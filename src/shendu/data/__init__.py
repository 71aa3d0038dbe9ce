"""Datasets: shipped samples, user files, deterministic splits, checksums, transforms.

The names below are imported on first use, so that `shendu.data.specs` stays free of torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ArrayImageDataset": "shendu.data.base",
    "DataBundle": "shendu.data.base",
    "ImageSpec": "shendu.data.specs",
    "Split": "shendu.data.splits",
    "array_checksum": "shendu.data.splits",
    "stratified_split": "shendu.data.splits",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'shendu.data' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)

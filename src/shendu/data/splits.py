"""Deterministic train/val/test splits and checksums of what was read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Split:
    """Index arrays into one dataset; disjoint and sorted."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def stratified_split(labels: np.ndarray, test_size: int, val_size: int, seed: int = 0) -> Split:
    """Split indices ``0..N-1`` into train/val/test with the class balance of ``labels``.

    The split depends only on ``labels``, the sizes and ``seed`` (not on the training seed),
    so every run of a recipe tests on the same held-out images.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if test_size + val_size >= n:
        raise ValueError(f"test_size + val_size must be < {n} samples; got {test_size} + {val_size}")
    index = np.arange(n)
    rest, test = train_test_split(index, test_size=test_size, stratify=labels, random_state=seed)
    if val_size > 0:
        train, val = train_test_split(
            rest, test_size=val_size, stratify=labels[rest], random_state=seed
        )
    else:
        train, val = rest, np.array([], dtype=int)
    return Split(np.sort(train), np.sort(val), np.sort(test))


def array_checksum(*arrays: np.ndarray) -> str:
    """SHA-256 over the raw bytes, dtypes and shapes of ``arrays`` (what a run was trained on)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()

"""Recycled scratch arrays for the large temporaries of conv2d.

A fresh large numpy array comes from mmap, and every page is faulted in (and zeroed by the
kernel) on first write: for a 42 MB im2col matrix that costs about as much as copying it.
A training loop asks for the same shapes every step, so we keep the arrays and hand one
back out once nothing references it any more (backward releases each op's saved arrays).
"""

from __future__ import annotations

import sys

import numpy as np

_PER_KEY = 4  # arrays kept per (tag, shape, dtype): enough for a few same-shaped layers
_MAX_KEYS = 32  # bound the memory held when shapes keep changing
_pool: dict = {}


def empty(tag: str, shape: tuple, dtype) -> np.ndarray:
    """Like np.empty(shape, dtype), reusing an array no one else references any more."""
    key = (tag, shape, np.dtype(dtype))
    arrays = _pool.get(key)
    if arrays is None:
        if len(_pool) >= _MAX_KEYS:
            _pool.pop(next(iter(_pool)))  # forget the oldest shape
        arrays = _pool[key] = []
    for array in arrays:
        # 3 references: the list, the loop variable, getrefcount's argument. A view elsewhere
        # (a saved im2col matrix, an activation) holds `array` as its base and adds one.
        if sys.getrefcount(array) == 3:
            return array
    array = np.empty(shape, dtype)
    if len(arrays) < _PER_KEY:
        arrays.append(array)
    return array

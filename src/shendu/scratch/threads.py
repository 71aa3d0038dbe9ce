"""set_num_threads / get_num_threads: the BLAS threads behind matmul, linear and conv2d.

numpy links OpenBLAS, whose thread count is normally fixed at import (OPENBLAS_NUM_THREADS).
Like threadpoolctl, we reach its setter through ctypes. Useful on a busy machine: with every
core taken by other processes, OpenBLAS threads waiting for each other can make one small
matmul hundreds of times slower, while a single thread stays fast.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


@functools.cache
def _openblas():
    """(setter, getter) of numpy's bundled OpenBLAS, or None if numpy uses another BLAS."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("*openblas*")):
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by numpy: same handle, same state
        except OSError:
            continue
        for prefix, suffix in itertools.product(("scipy_openblas_", "openblas_"), ("64_", "")):
            setter = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                return setter, getter
    return None


def set_num_threads(num_threads: int) -> None:
    """Use `num_threads` BLAS threads from now on (process-wide, like torch.set_num_threads).

    Raises:
        RuntimeError: num_threads < 1 (torch's exception type).
    """
    if num_threads < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer; got {num_threads}")
    blas = _openblas()
    if blas is None:
        logger.warning("numpy's BLAS is not a bundled OpenBLAS; set_num_threads(%d) has no effect", num_threads)
        return
    blas[0](num_threads)


def get_num_threads() -> int | None:
    """The number of BLAS threads, or None if numpy's BLAS cannot be queried."""
    blas = _openblas()
    return None if blas is None else int(blas[1]())

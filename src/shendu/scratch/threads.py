"""set_num_threads / get_num_threads, and `parallel`: the threads behind matmul, linear, conv2d and pooling.

numpy links OpenBLAS, whose thread count is normally fixed at import (OPENBLAS_NUM_THREADS).
Like threadpoolctl, we reach its setter through ctypes.

The big ops (conv2d, max-pooling) do not hand one huge matrix product to OpenBLAS: they cut
the batch into cache-sized chunks and `parallel` runs the chunks on `get_num_threads()`
Python threads (numpy releases the GIL inside its loops and BLAS calls), with OpenBLAS
single-threaded meanwhile. That parallelises the copies and adds around the products too
(im2col, col2im, pooling), keeps each chunk's data in cache, and a thread that waits for the
others blocks instead of spinning, so a machine busy with other work slows us down gently.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

_num_threads: int | None = None  # set_num_threads' value; None: follow OpenBLAS's own count
_region = threading.Lock()  # held while a parallel region runs; nested or concurrent regions run serially
_executor: ThreadPoolExecutor | None = None
_executor_workers = 0


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
    """Use `num_threads` threads from now on (process-wide, like torch.set_num_threads).

    Sets OpenBLAS's thread count and the number of threads `parallel` runs chunks on.

    Raises:
        RuntimeError: num_threads < 1 (torch's exception type).
    """
    global _num_threads
    if num_threads < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer; got {num_threads}")
    _num_threads = int(num_threads)
    blas = _openblas()
    if blas is None:
        logger.warning("numpy's BLAS is not a bundled OpenBLAS; set_num_threads(%d) leaves its threads as they are",
                       num_threads)
        return
    blas[0](num_threads)


def get_num_threads() -> int | None:
    """The number of threads, or None if it was never set and numpy's BLAS cannot be queried."""
    if _num_threads is not None:
        return _num_threads
    blas = _openblas()
    return None if blas is None else int(blas[1]())


def _forget_pool_after_fork() -> None:
    """A forked child has none of the parent's pool threads: make a new pool (and lock) on demand."""
    global _executor, _executor_workers, _region
    _executor, _executor_workers, _region = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of `workers` threads, kept between calls (made again if the count changes)."""
    global _executor, _executor_workers
    if _executor is None or _executor_workers != workers:
        if _executor is not None:
            _executor.shutdown(wait=False)
        _executor = ThreadPoolExecutor(workers, thread_name_prefix="shendu-scratch")
        _executor_workers = workers
    return _executor


def parallel(fn: Callable[[int], object], count: int) -> list:
    """[fn(0), ..., fn(count - 1)], the calls shared out among get_num_threads() threads.

    Each thread takes the next index when it is free, so a thread slowed down by other work
    takes fewer. The results come back in index order; `fn` must only write memory that no
    other index writes. OpenBLAS runs single-threaded while the calls run (the threads are
    the parallelism; with count 1 that is all this does), and is restored afterwards. A call
    from inside `fn`, or from a second Python thread while a region runs, runs serially.

    Raises:
        Whatever `fn` raises (the first exception, after every thread has stopped).
    """
    if not _region.acquire(blocking=False):
        return [fn(i) for i in range(count)]
    try:
        blas = _openblas()
        blas_threads = blas[1]() if blas is not None else 1
        if blas_threads != 1:
            blas[0](1)
        try:
            return _run(fn, count, min(get_num_threads() or 1, count))
        finally:
            if blas_threads != 1:
                blas[0](blas_threads)
    finally:
        _region.release()


def _run(fn: Callable[[int], object], count: int, workers: int) -> list:
    """parallel's body: the calling thread and workers - 1 pool threads take indices in turn."""
    if workers <= 1:
        return [fn(i) for i in range(count)]
    results = [None] * count
    indices = itertools.count()
    take = threading.Lock()

    def work() -> None:
        while True:
            with take:
                i = next(indices)
            if i >= count:
                return
            results[i] = fn(i)

    futures = [_pool(workers - 1).submit(work) for _ in range(workers - 1)]
    try:
        work()
    finally:
        errors = [f.exception() for f in futures]  # waits for every helper before leaving
    for error in errors:
        if error is not None:
            raise error
    return results

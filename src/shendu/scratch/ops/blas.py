"""Matrix products on numpy's BLAS that never wake OpenBLAS's own threads.

OpenBLAS splits a product over its threads itself once it has more than 2^18 multiply-adds,
and its worker threads then spin for tens of milliseconds after the call, holding a core
that the threads of `threads.parallel` (conv2d, pooling) need next. So every product above
that size runs with OpenBLAS single-threaded, and large ones are cut into column (or row)
blocks that `threads.parallel` shares out. The blocks depend on the shapes only, so the
results do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np

from ..threads import parallel

_OPENBLAS_SERIAL = 1 << 18  # OpenBLAS computes smaller products on the calling thread anyway
_BLOCK = 1 << 22  # multiply-adds per block: below this a hand-off to a thread costs more than it saves
_MAX_BLOCKS = 8


def _blocks(m: int, k: int, n: int) -> list:
    """(start, stop) bounds of the blocks along the longer of m (rows) and n (columns)."""
    length = max(m, n)
    count = int(max(1, min(_MAX_BLOCKS, m * k * n // _BLOCK, length // 64)))  # blocks of >= 64: BLAS stays efficient
    edges = [length * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul(a, b), computed as described above; raises what np.matmul raises.

    a (..., m, k) with b (k, n) is one (m', k) @ (k, n) product, cut into blocks; other
    shapes (batches, vectors) are one np.matmul call with OpenBLAS single-threaded.
    """
    if a.ndim == 0 or b.ndim == 0:
        return np.matmul(a, b)  # raises numpy's error
    work = max(a.size * (b.shape[-1] if b.ndim > 1 else 1), b.size * (a.shape[-2] if a.ndim > 1 else 1))
    if work <= _OPENBLAS_SERIAL:  # the XOR nets' products: no overhead
        return np.matmul(a, b)
    if a.ndim < 2 or b.ndim != 2 or a.shape[-1] != b.shape[0]:
        return parallel(lambda _: np.matmul(a, b), 1)[0]  # batches, vectors and errors: one call
    lead, (k, n) = a.shape[:-1], b.shape
    a2 = a.reshape(-1, k)  # (m, k); a view unless `a` is a strided batch
    m = a2.shape[0]
    out = np.empty((m, n), np.result_type(a, b))
    blocks = _blocks(m, k, n)
    if n >= m:
        def run(i: int) -> None:
            start, stop = blocks[i]
            np.matmul(a2, b[:, start:stop], out=out[:, start:stop])  # BLAS writes the column block in place
    else:
        def run(i: int) -> None:
            start, stop = blocks[i]
            np.matmul(a2[start:stop], b, out=out[start:stop])
    parallel(run, len(blocks))
    return out.reshape(*lead, n)

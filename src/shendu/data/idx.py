"""Checks for files in the IDX format of the MNIST distribution (LeCun et al.).

An IDX file is a 4-byte magic number ``0x0000TTNN`` (TT = 0x08 for unsigned bytes, NN the
number of dimensions), NN big-endian uint32 sizes, then the data. torchvision reads these
files but reports a truncated one as a bare reshape error; checking the header first lets
us say which file is wrong and how.
"""

from __future__ import annotations

import struct
from pathlib import Path

from shendu.errors import DataError

UBYTE = 0x08


def idx_header(path: Path, expected_ndim: int) -> tuple[int, ...]:
    """Return the dimensions in ``path``'s header; raise DataError if the file is not a
    complete unsigned-byte IDX file with ``expected_ndim`` dimensions."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4 + 4 * expected_ndim)
    what = f"an IDX file of unsigned bytes with {expected_ndim} dimension(s), as in the MNIST distribution"
    if len(head) < 4:
        raise DataError(f"{path} must be {what}; got a file of {size} bytes (too short for a header).")
    zero, dtype, ndim = struct.unpack(">HBB", head[:4])
    if zero != 0 or dtype != UBYTE or ndim != expected_ndim:
        raise DataError(
            f"{path} must be {what} (magic number 0x0000080{expected_ndim}); got magic number "
            f"0x{head[:4].hex()}. If the file ends in .gz, decompress it first (gunzip)."
        )
    if len(head) < 4 + 4 * ndim:
        raise DataError(f"{path} must be {what}; its header is truncated ({size} bytes).")
    dims = struct.unpack(f">{ndim}I", head[4 : 4 + 4 * ndim])
    expected = 4 + 4 * ndim + _product(dims)
    if size != expected:
        raise DataError(
            f"{path} is truncated or padded: its header announces {'x'.join(map(str, dims))} "
            f"values, so the file must be {expected} bytes; got {size} bytes. Download the "
            "file again (or pass --download when online)."
        )
    return dims


def _product(dims: tuple[int, ...]) -> int:
    out = 1
    for d in dims:
        out *= d
    return out

"""Read the pickled batches of the CIFAR-10 "python version" without running pickle's code.

The CIFAR-10 python files are pickles of plain dicts holding lists, strings and one numpy
array. ``pickle.load`` would import and call whatever a (tampered) file names; this reader
allows only the handful of globals those files need to rebuild a numpy array, the way
``torch.load(weights_only=True)`` does for checkpoints. Those globals are bounded too: numpy's
``_reconstruct`` only ever starts an empty array (its contents come from the file's own bytes),
so a file cannot make it allocate a huge one, and ``ndarray`` itself cannot be called.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from shendu.errors import DataError

MAX_PICKLE_BYTES = 64 * 2**20  # a CIFAR-10 batch is 31 MB
_RECONSTRUCT_LIMIT = 1024  # elements; numpy's own pickles start from shape (0,)

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"),
    ("__builtin__", "object"),
    ("builtins", "object"),
}


class _NdarrayName:
    """Stands for ``numpy.ndarray`` in a file: an argument of ``_reconstruct``, never called."""


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not _NdarrayName:
        raise pickle.UnpicklingError(f"numpy arrays may only be rebuilt as numpy.ndarray; got {subtype!r:.60}")
    if (not isinstance(shape, tuple) or not all(isinstance(n, int) and 0 <= n for n in shape)
            or int(np.prod(shape, dtype=object)) > _RECONSTRUCT_LIMIT):
        raise pickle.UnpicklingError(f"an array is started with shape {shape!r:.60}, not the empty one numpy writes")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed")
        if name == "_reconstruct":
            return _reconstruct
        if name == "ndarray":
            return _NdarrayName
        return super().find_class(module, name)


def load_data_pickle(path: Path) -> Any:
    """Unpickle ``path`` (at most MAX_PICKLE_BYTES) allowing only numpy-array reconstruction;
    raise DataError otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PICKLE_BYTES:
            raise DataError(f"{path} is {size:,} bytes; a CIFAR-10 batch file is about 31 MB, and files over "
                            f"{MAX_PICKLE_BYTES:,} bytes are refused. Download the file again.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} is missing.") from None
    except OSError as exc:  # a folder, no permission
        raise DataError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}); a CIFAR-10 batch file "
                        "is expected there.") from None
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except Exception as exc:  # noqa: BLE001 (a damaged stream raises many kinds: UnpicklingError, EOFError, ...)
        raise DataError(
            f"{path} must be a batch file of the CIFAR-10 python version (a pickled dict of "
            f"numpy uint8 data and labels); it could not be read ({type(exc).__name__}: {str(exc)[:200]}). "
            "The file is truncated, corrupt or not a CIFAR batch: download it again."
        ) from None

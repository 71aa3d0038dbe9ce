"""Read the pickled batches of the CIFAR-10 "python version" without running pickle's code.

The CIFAR-10 python files are pickles of plain dicts holding lists, strings and one numpy
array. ``pickle.load`` would import and call whatever a (tampered) file names; this reader
allows only the handful of globals those files need to rebuild a numpy array, the way
``torch.load(weights_only=True)`` does for checkpoints.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from shendu.errors import DataError

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


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed")
        return super().find_class(module, name)


def load_data_pickle(path: Path) -> Any:
    """Unpickle ``path`` allowing only numpy-array reconstruction; raise DataError otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
        return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except FileNotFoundError:
        raise DataError(f"{path} is missing.") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise DataError(
            f"{path} must be a batch file of the CIFAR-10 python version (a pickled dict of "
            f"numpy uint8 data and labels); it could not be read ({type(exc).__name__}: {exc}). "
            "The file is truncated, corrupt or not a CIFAR batch: download it again."
        ) from None

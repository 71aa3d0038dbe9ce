"""Type promotion: the dtype of a binary op's result, by torch's `result_type` rules.

torch sorts operands into three classes and lets a higher class win only with a higher
*category* (bool < integer < floating):

1. dimensioned tensors (ndim >= 1), including numpy arrays;
2. zero-dim tensors;
3. Python numbers (bool -> bool, int -> int64, float -> the default float32), numpy
   scalars included: torch treats them as Python numbers.

Within a class the dtypes are promoted pairwise (`promote_types`); across classes the
higher class keeps its dtype unless a lower class brings a higher category. So
`int32 tensor + 0-d int64 tensor` is int32, `float32 tensor + 0-d float64 tensor` is
float32, `int64 tensor + 0.5` is float32 and `0-d float64 tensor + int tensor` is float64.

Source: c10/core/ScalarType.h (`promoteTypes`) and aten/src/ATen/native/TypeProperties.cpp
(`update_result_type_state`, `combine_categories`, `result_type`).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

DEFAULT_FLOAT = np.dtype(np.float32)  # torch.get_default_dtype()
INT64 = np.dtype(np.int64)
BOOL = np.dtype(bool)

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point, 3 for complex."""
    return _CATEGORY[dtype.kind]


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: the smallest dtype that holds both (bool < uint8/int8 < ... < float64).

    Unlike numpy, an integer and a float promote to the float (int64 + float32 -> float32).
    """
    if a is b or a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)  # same category: numpy's table is torch's (uint8 + int8 -> int16)


def _scalar_dtype(x) -> np.dtype:
    # Python numbers (and numpy scalars, which torch reads as numbers) are "wrapped numbers".
    if isinstance(x, (bool, np.bool_)):
        return BOOL
    if isinstance(x, (int, np.integer)):
        return INT64
    if isinstance(x, (float, np.floating)):
        return DEFAULT_FLOAT
    raise TypeError(
        f"expected a Tensor, a numpy array or a Python number (bool, int, float); got {type(x).__name__}"
    )


def _combine(higher, lower):
    # combine_categories(higher, lower): the higher class wins unless the lower one brings floats.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if is_floating(higher):
        return higher
    if higher == BOOL or is_floating(lower):
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """The dtype torch.result_type gives for these operands (tensors, arrays, numbers).

    Raises:
        TypeError: an operand is none of Tensor, numpy array, Python or numpy number.
    """
    dim = zero = wrapped = None
    for x in operands:
        data = x.data if isinstance(x, Tensor) else x
        # a Tensor may hold a numpy scalar (numpy returns those from ops on 0-d arrays): still 0-d
        if isinstance(data, np.ndarray) or isinstance(x, Tensor):
            if data.ndim:
                dim = data.dtype if dim is None else promote_types(dim, data.dtype)
            else:
                zero = data.dtype if zero is None else promote_types(zero, data.dtype)
        else:
            d = _scalar_dtype(data)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def float_result(dtype: np.dtype) -> np.dtype:
    """The dtype of a float-only op (true division, exp, sin, ...) on `dtype`: ints become float32."""
    return dtype if dtype.kind in "fc" else DEFAULT_FLOAT

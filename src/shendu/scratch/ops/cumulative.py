"""Running sums along a dim: cumsum."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .promotion import INT64
from .shape import normalize_dim
from .unary import Cast


class CumSum(Function):
    """out[..., i, ...] = sum of a[..., :i+1, ...] along `axis`; d/da is the reversed running sum."""

    __slots__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, a):
        return np.cumsum(a, axis=self.axis, dtype=a.dtype)  # numpy would widen int32 to int64

    def backward(self, grad):
        axis = self.axis
        return (np.flip(np.cumsum(np.flip(grad, axis), axis=axis), axis),)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along `dim`; bool and integer inputs sum in int64, as in torch.

    Raises:
        IndexError: `dim` out of range.
    """
    from .reduce import check_grad_dtype

    axis = normalize_dim(dim, input.ndim)
    if dtype is not None and np.dtype(dtype) == np.bool_ and input.ndim and input.data.size:
        raise NotImplementedError("\"cumsum\" is not implemented for bool results, as in torch; ask for dtype=long")
    check_grad_dtype(input, dtype)
    target = np.dtype(dtype) if dtype is not None else (INT64 if input.dtype.kind in "biu" else None)
    if target is not None and input.dtype != target:
        input = Cast(target)(input)
    if input.ndim == 0:
        return Cast(input.dtype)(input)  # a copy, as torch returns
    return CumSum(axis)(input)

"""sort, argsort, topk: values reordered along a dim, with the gradient put back in place."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim

SortResult = namedtuple("SortResult", ["values", "indices"])
TopkResult = namedtuple("TopkResult", ["values", "indices"])


class TakeAlong(Function):
    """out = a taken at `indices` along `axis` (each position at most once per slice);
    the gradient goes back to where each value came from."""

    __slots__ = ("indices", "axis", "shape")

    def __init__(self, indices: np.ndarray, axis: int):
        self.indices, self.axis = indices, axis

    def forward(self, a):
        self.shape = a.shape
        return np.take_along_axis(a, self.indices, axis=self.axis)

    def backward(self, grad):
        full = np.zeros(self.shape, grad.dtype)
        np.put_along_axis(full, self.indices, grad, axis=self.axis)
        return (full,)


def _order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    # Stable, NaN counted as the largest value (torch's order); ties keep their original order.
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    if a.dtype == bool:
        key = ~a
    elif a.dtype.kind == "u":
        key = np.iinfo(a.dtype).max - a
    elif a.dtype.kind == "f":
        key = np.where(np.isnan(a), -np.inf, -a)
    else:
        key = -a.astype(np.int64)
    return np.argsort(key, axis=axis, kind="stable")


def _sorted(input: Tensor, dim: int, descending: bool, count=None):
    if input.ndim == 0:
        normalize_dim(dim, 0)
        return Tensor(input.data.copy()) if not input.requires_grad else input * 1, np.zeros((), np.int64)
    axis = normalize_dim(dim, input.ndim)
    order = _order(input.data, axis, descending)
    if count is not None:
        order = np.take(order, np.arange(count), axis=axis)
    return TakeAlong(order, axis)(input), order.astype(np.int64, copy=False)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> SortResult:
    """(values, indices) sorted along `dim`; stable (ties keep their order), NaN last ascending."""
    values, indices = _sorted(input, dim, descending)
    return SortResult(values, Tensor(indices))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim` (see `sort`)."""
    axis = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return Tensor(np.zeros((), np.int64))
    return Tensor(_order(input.data, axis, descending).astype(np.int64, copy=False))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:
    """The k largest (or smallest) values along `dim` and their indices, largest first.

    Raises:
        RuntimeError: k larger than the size of `dim`, or a bool input.
    """
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if input.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU (as torch); convert with .long() first")
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range: k={k} for a dim of size {size}")
    values, indices = _sorted(input, dim, descending=largest, count=k if input.ndim else None)
    return TopkResult(values, Tensor(indices))

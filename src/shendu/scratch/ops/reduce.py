"""Reductions over dims: sum, mean, max/min (values and indices), var, argmax."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim

# torch.max(x, dim) returns a named pair; so does ours.
MaxResult = namedtuple("MaxResult", ["values", "indices"])


def normalize_dims(dim, ndim: int):
    """`dim` (None, int or sequence) as a tuple of non-negative axes, or None for all."""
    if dim is None or ndim == 0:
        return None
    if isinstance(dim, int):
        return (normalize_dim(dim, ndim),)
    return tuple(normalize_dim(d, ndim) for d in dim)


def _keepdim_shape(shape: tuple, axes) -> tuple:
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """out = sum of a over `axes` (all when None)."""

    __slots__ = ("axes", "keepdim", "shape")

    def __init__(self, axes=None, keepdim: bool = False):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a):
        self.shape = a.shape
        return np.sum(a, axis=self.axes, keepdims=self.keepdim)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.reshape(grad, _keepdim_shape(self.shape, self.axes))  # restore reduced dims as 1
        return (np.broadcast_to(grad, self.shape),)


class Mean(Function):
    """out = mean of a over `axes` (all when None)."""

    __slots__ = ("axes", "keepdim", "shape", "count")

    def __init__(self, axes=None, keepdim: bool = False):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a):
        self.shape = a.shape
        out = np.mean(a, axis=self.axes, keepdims=self.keepdim)
        self.count = a.size // builtins.max(np.size(out), 1)  # this module shadows max
        return out

    def backward(self, grad):
        if not self.keepdim:
            grad = np.reshape(grad, _keepdim_shape(self.shape, self.axes))  # restore reduced dims as 1
        return (np.broadcast_to(grad / self.count, self.shape),)


class MaxAlong(Function):
    """out = max of a along one axis; the gradient goes to the first maximal element (argmax)."""

    __slots__ = ("axis", "keepdim", "shape", "indices")

    def __init__(self, axis: int, keepdim: bool = False):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, a):
        self.shape = a.shape
        self.indices = np.expand_dims(np.argmax(a, axis=self.axis), self.axis)
        out = np.take_along_axis(a, self.indices, axis=self.axis)
        return out if self.keepdim else np.squeeze(out, self.axis)

    def backward(self, grad):
        full = np.zeros(self.shape, grad.dtype)
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axis)
        np.put_along_axis(full, self.indices, grad, axis=self.axis)
        return (full,)


class MaxAll(Function):
    """out = max of all elements; the gradient is shared evenly among ties (torch's rule)."""

    __slots__ = ("a", "out")

    def forward(self, a):
        if a.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0")
        self.a, self.out = a, np.max(a)
        return self.out

    def backward(self, grad):
        mask = self.a == self.out
        return (mask * (grad / mask.sum()).astype(self.a.dtype),)


def sum(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over `dim` (int, tuple, or None for all).

    Raises:
        IndexError: a dim outside [-a.ndim, a.ndim - 1].
    """
    return Sum(normalize_dims(dim, a.ndim), keepdim)(a)


def mean(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean over `dim` (int, tuple, or None for all)."""
    return Mean(normalize_dims(dim, a.ndim), keepdim)(a)


def max(a: Tensor, dim=None, keepdim: bool = False):
    """Max of all elements (a Tensor), or along `dim`: `MaxResult(values, indices)` like torch."""
    if dim is None:
        return MaxAll()(a)
    axis = normalize_dim(dim, a.ndim)
    op = MaxAlong(axis, keepdim)
    values = op(a)
    indices = op.indices if keepdim else np.squeeze(op.indices, axis)
    return MaxResult(values, Tensor(indices))


def min(a: Tensor, dim=None, keepdim: bool = False):
    """Min, as -max(-a); same return convention as `max`."""
    result = max(-a, dim, keepdim)
    if dim is None:
        return -result
    return MaxResult(-result.values, result.indices)


def var(a: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
    """Variance sum((a - mean)^2) / (N - correction); correction defaults to 1 (unbiased)."""
    if correction is None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, a.ndim)
    count = a.data.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
    centered = a - Mean(axes, keepdim=True)(a)
    return Sum(axes, keepdim)(centered * centered) / (count - correction)


def argmax(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum (flattened when dim is None); no gradient."""
    if dim is None:
        return Tensor(np.asarray(np.argmax(a.data)))
    axis = normalize_dim(dim, a.ndim)
    return Tensor(np.argmax(a.data, axis=axis, keepdims=keepdim))

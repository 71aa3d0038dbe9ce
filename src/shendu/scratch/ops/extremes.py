"""max / min (of everything, or values and indices along a dim), argmax / argmin.

torch's gradients: along a dim the whole gradient goes to the index returned (the first
extreme); over all elements it is shared evenly among the ties (`evenly_distribute_backward`).
NaN counts as the largest and the smallest value, so it is what max and min return.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim
from .unary import Cast

# torch.max(x, dim) returns a named pair; so does ours.
MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _arg(a: np.ndarray, axis, smaller: bool):
    # np.argmax / argmin already return the first NaN, which torch treats as the extreme.
    return np.argmin(a, axis=axis) if smaller else np.argmax(a, axis=axis)


class MaxAlong(Function):
    """out = max (or min) of a along one axis; the gradient goes to the returned index."""

    __slots__ = ("axis", "keepdim", "smaller", "shape", "indices")

    def __init__(self, axis: int, keepdim: bool = False, smaller: bool = False):
        self.axis, self.keepdim, self.smaller = axis, keepdim, smaller

    def forward(self, a):
        self.shape = a.shape
        self.indices = np.expand_dims(_arg(a, self.axis, self.smaller), self.axis)
        out = np.take_along_axis(a, self.indices, axis=self.axis)
        return out if self.keepdim else np.squeeze(out, self.axis)

    def backward(self, grad):
        full = np.zeros(self.shape, grad.dtype)
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axis)
        np.put_along_axis(full, self.indices, grad, axis=self.axis)
        return (full,)


class MaxAll(Function):
    """out = max (or min) of all elements; the gradient is shared evenly among ties (torch's rule)."""

    __slots__ = ("a", "out", "smaller")

    def __init__(self, smaller: bool = False):
        self.smaller = smaller

    def forward(self, a):
        if a.size == 0:
            name = "min" if self.smaller else "max"
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        self.a = a
        self.out = np.asarray(np.min(a) if self.smaller else np.max(a))
        return self.out

    def backward(self, grad):
        mask = (self.a == self.out) | (np.isnan(self.a) & np.isnan(self.out))
        return (mask * (grad / mask.sum()).astype(self.a.dtype),)


def _along(a: Tensor, dim, keepdim: bool, smaller: bool) -> MaxResult:
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0:  # torch: a 0-d tensor is its own max along dim 0
        return MaxResult(Cast(a.dtype)(a), Tensor(np.zeros((), np.int64)))
    if a.shape[axis] == 0:
        raise IndexError(
            f"{'min' if smaller else 'max'}(): Expected reduction dim {axis} to have non-zero size; "
            f"got shape {a.shape}"
        )
    op = MaxAlong(axis, keepdim, smaller)
    values = op(a)
    indices = op.indices if keepdim else np.squeeze(op.indices, axis)
    return MaxResult(values, Tensor(indices.astype(np.int64, copy=False)))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """Max of all elements (a Tensor), or along `dim`: `MaxResult(values, indices)` like torch.

    `max(input, other)` with a tensor `other` is `maximum(input, other)`, as in torch.

    Raises:
        RuntimeError: no dim and an empty input.
        IndexError: `dim` out of range, or the dim has size 0.
    """
    if isinstance(dim, Tensor):
        from .compare import maximum

        return maximum(input, dim)
    if dim is None:
        return MaxAll()(input)
    return _along(input, dim, keepdim, smaller=False)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """Min; the same conventions as `max` (`min(input, other)` is `minimum`)."""
    if isinstance(dim, Tensor):
        from .compare import minimum

        return minimum(input, dim)
    if dim is None:
        return MaxAll(smaller=True)(input)
    return _along(input, dim, keepdim, smaller=True)


def _arg_index(input: Tensor, dim, keepdim: bool, smaller: bool) -> Tensor:
    a = input.data
    if a.dtype == bool:
        raise RuntimeError(
            f'"{"argmin" if smaller else "argmax"}_cpu" not implemented for \'Bool\'; cast with .long() first'
        )
    if dim is None:
        if a.size == 0:
            raise RuntimeError(
                f"{'argmin' if smaller else 'argmax'}(): Expected reduction dim to be specified for "
                "input.numel() == 0."
            )
        index = np.asarray(_arg(a.reshape(-1), 0, smaller), np.int64)
        return Tensor(index.reshape((1,) * a.ndim) if keepdim else index)
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0:
        return Tensor(np.zeros((), np.int64))
    if a.shape[axis] == 0:
        raise IndexError(f"argmax/argmin: Expected reduction dim {axis} to have non-zero size; got {a.shape}")
    index = _arg(a, axis, smaller).astype(np.int64, copy=False)
    return Tensor(np.expand_dims(index, axis) if keepdim else index)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum (of the flattened input when dim is None); int64, no gradient."""
    return _arg_index(input, dim, keepdim, smaller=False)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum (of the flattened input when dim is None); int64, no gradient."""
    return _arg_index(input, dim, keepdim, smaller=True)


class AMax(Function):
    """out = max (or min) over `axes` (all when None); the gradient is shared evenly among the
    elements equal to the result, as torch's amax/amin."""

    __slots__ = ("axes", "keepdim", "smaller", "mask", "kept_shape")

    def __init__(self, axes, keepdim: bool, smaller: bool):
        self.axes, self.keepdim, self.smaller = axes, keepdim, smaller

    def forward(self, a):
        if a.size == 0:
            name = "amin" if self.smaller else "amax"
            if self.axes is None:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   f"Specify the reduction dim with the 'dim' argument; got shape {a.shape}")
            empty = [i for i in self.axes if a.shape[i] == 0]
            if empty:
                raise IndexError(f"{name}(): Expected reduction dim {empty[0]} to have non-zero size; got shape "
                                 f"{a.shape}")
        out = np.min(a, axis=self.axes, keepdims=True) if self.smaller else np.max(a, axis=self.axes, keepdims=True)
        self.mask, self.kept_shape = a == out, out.shape
        return out if self.keepdim else np.reshape(out, () if self.axes is None else tuple(
            n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, grad):
        grad = np.reshape(grad, self.kept_shape)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return (self.mask * (grad / count).astype(grad.dtype),)


def _extreme_axes(input: Tensor, dim, name: str):
    from .reduce import normalize_dims

    if input.data.size == 0 and input.ndim:  # torch checks for empty dims before repeated ones
        for d in (dim,) if isinstance(dim, (int, np.integer)) else dim:
            if input.shape[normalize_dim(int(d), input.ndim)] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size; got shape {input.shape}")
    return normalize_dims(dim, input.ndim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Max over `dim` (int or tuple; () for all) without indices; ties share the gradient."""
    return AMax(_extreme_axes(input, dim, "amax"), keepdim, smaller=False)(input)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Min over `dim` (int or tuple; () for all) without indices; ties share the gradient."""
    return AMax(_extreme_axes(input, dim, "amin"), keepdim, smaller=True)(input)

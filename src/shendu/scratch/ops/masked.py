"""Ops that keep or replace elements by a mask: masked_fill, tril, triu."""

from __future__ import annotations

import numpy as np

from .. import autograd
from ..tensor import Function, Tensor
from .elementwise import unbroadcast


class MaskedFill(Function):
    """out = value where mask else input (broadcasting input and mask, as torch's out-of-place
    masked_fill); d/dinput = grad where not mask, d/dvalue = sum of grad where mask."""

    __slots__ = ("mask", "shape")

    def __init__(self, mask: np.ndarray):
        self.mask = mask

    def forward(self, a, value):
        self.shape = a.shape
        try:
            return np.where(self.mask, value.astype(a.dtype), a)
        except ValueError:
            raise RuntimeError(
                f"masked_fill: the mask {self.mask.shape} must broadcast with the input {a.shape}"
            ) from None

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        ga = unbroadcast(np.where(self.mask, zero, grad), self.shape)
        gv = np.asarray(np.where(self.mask, grad, zero).sum()) if self.inputs[1].requires_grad else None
        return ga, gv


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """`input` with `value` (a number or a 0-d tensor) wherever the bool `mask` is True.

    The result keeps input's dtype (torch does not promote here: an int tensor filled with
    0.7 holds 0). A 0-d tensor value that requires grad gets the sum of the masked gradient.

    Raises:
        RuntimeError: a mask that is not bool, or a value tensor with dims.
    """
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != bool:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}; "
            "compare first (x > 0) or cast with .bool()"
        )
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if value.requires_grad and input.dtype.kind != "f" and autograd._grad_enabled:
            raise RuntimeError(f"Autograd not support dtype: {input.dtype}; the value requires grad but the "
                               f"result would be {input.dtype} (detach the value or fill a float tensor)")
        if value.dtype != input.dtype:
            value = value.to(input.dtype)
    else:
        value = Tensor(np.asarray(value.item() if isinstance(value, np.generic) else value).astype(input.dtype))
    return MaskedFill(mask)(input, value)


class Triangle(Function):
    """out = a on and below (tril) or on and above (triu) the `diagonal`-th diagonal of the
    last two dims, 0 elsewhere; the gradient is masked the same way."""

    __slots__ = ("upper", "diagonal", "mask")

    def __init__(self, upper: bool, diagonal: int):
        self.upper, self.diagonal = upper, diagonal

    def forward(self, a):
        rows, cols = a.shape[-2:]
        if self.upper:
            self.mask = ~np.tri(rows, cols, self.diagonal - 1, dtype=bool)
        else:
            self.mask = np.tri(rows, cols, self.diagonal, dtype=bool)
        return np.where(self.mask, a, np.zeros((), a.dtype))

    def backward(self, grad):
        return (np.where(self.mask, grad, np.zeros((), grad.dtype)),)


def _triangle(name: str, input: Tensor, diagonal, upper: bool) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions; got shape {input.shape}")
    if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
        raise TypeError(f"{name}(): argument 'diagonal' must be int, not {type(diagonal).__name__}")
    return Triangle(upper, int(diagonal))(input)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (diagonal > 0 keeps more, < 0 fewer diagonals).

    Raises:
        RuntimeError: fewer than 2 dims.
    """
    return _triangle("tril", input, diagonal, upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims; see `tril`."""
    return _triangle("triu", input, diagonal, upper=True)

"""Rounded division: floor_divide (//), remainder (%), and div's rounding modes.

Operands are promoted like every binary op (`elementwise.promote`); integer division by zero
raises as in torch ("ZeroDivisionError"), and bool operands are refused.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import _is_scalar, broadcast_error, promote, unbroadcast
from .promotion import BOOL


def _check_not_bool(name: str, dtype) -> None:
    if dtype == BOOL:
        raise NotImplementedError(f'"{name}" is not implemented for bool tensors; cast to int first (.long())')


def _zero_divisor(a: np.ndarray, b: np.ndarray) -> bool:
    # torch checks only the divisors it uses: an empty result never raises.
    try:
        empty = 0 in np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False  # the division itself raises torch's broadcast error
    return not empty and bool(np.any(b == 0))


class FloorDivide(Function):
    """out = floor(a / b) (Python's rounding); torch has no derivative for it either."""

    __slots__ = ()

    def forward(self, a, b):
        if a.dtype.kind in "biu" and _zero_divisor(a, b):
            raise RuntimeError("ZeroDivisionError: integer floor division by zero; got a zero divisor")
        try:
            return np.floor_divide(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (as in torch)")


class DivRounded(Function):
    """out = a / b rounded toward 0 ("trunc") or toward minus infinity ("floor"), in the
    promoted dtype; torch's gradient for these is 0."""

    __slots__ = ("mode",)

    def __init__(self, mode: str):
        self.mode = mode

    def forward(self, a, b):
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error(a, b) from None
        if a.dtype.kind in "biu":
            if _zero_divisor(a, b):
                raise RuntimeError("ZeroDivisionError: integer division by zero; got a zero divisor")
            if self.mode == "floor":
                return np.floor_divide(a, b)
            return np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(a, b) if self.mode == "floor" else np.trunc(a / b)

    def backward(self, grad):
        a_shape, b_shape = self.inputs[0].shape, self.inputs[1].shape
        return np.zeros(a_shape, grad.dtype), np.zeros(b_shape, grad.dtype)


class Remainder(Function):
    """out = a - floor(a / b) * b, the sign of b (Python's %); d/da = 1, d/db = -floor(a / b)."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        if a.dtype.kind in "biu" and _zero_divisor(a, b):
            raise RuntimeError("ZeroDivisionError: integer remainder by zero; got a zero divisor")
        self.a, self.b = a, b
        try:
            return np.remainder(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad, a.shape) if self.inputs[0].requires_grad else None
        gb = unbroadcast(-grad * np.floor_divide(a, b), b.shape) if self.inputs[1].requires_grad else None
        return ga, gb


def both_tensors(a: Tensor, b, name: str = ""):
    a, b, dtype = promote(a, b)
    if name:
        _check_not_bool(name, dtype)
    return a, (Tensor(np.asarray(b, dtype)) if _is_scalar(b) else b)


def floor_divide(a: Tensor, b) -> Tensor:
    """a // b, rounded toward minus infinity (torch >= 1.13); integer division by 0 raises."""
    return FloorDivide()(*both_tensors(a, b, "floor_divide"))


def rfloor_divide(a: Tensor, b) -> Tensor:
    """b // a."""
    a, b = both_tensors(a, b, "floor_divide")
    return FloorDivide()(b, a)


def remainder(a: Tensor, b) -> Tensor:
    """a % b with the sign of b (Python's and torch's rule)."""
    return Remainder()(*both_tensors(a, b, "remainder"))


class RemainderOfNumber(Remainder):
    """out = c % a for a number c: torch has no derivative for it (remainder.Scalar_Tensor)."""

    __slots__ = ()

    def backward(self, grad):
        raise RuntimeError("the derivative of number % tensor (aten::remainder.Scalar_Tensor) is not "
                           "implemented, as in torch; make the number a tensor to differentiate")


def rremainder(a: Tensor, b) -> Tensor:
    """b % a."""
    number = _is_scalar(b)
    a, b = both_tensors(a, b, "remainder")
    return (RemainderOfNumber() if number else Remainder())(b, a)

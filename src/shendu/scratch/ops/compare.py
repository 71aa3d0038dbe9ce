"""Comparisons (eq ne lt le gt ge), maximum/minimum, and the bitwise/logical ops on masks.

Comparisons promote both sides to `result_type` first (an int tensor compared with 0.5 is
compared in float32, as in torch) and return bool tensors outside the graph.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import broadcast_error, promote, unbroadcast


def _compare(ufunc, a: Tensor, b) -> Tensor:
    a, b, _ = promote(a, b)
    b = b.data if isinstance(b, Tensor) else b
    try:
        return Tensor(ufunc(a.data, b))
    except ValueError:
        raise broadcast_error(a.data, np.asarray(b)) from None


def eq(input: Tensor, other) -> Tensor:
    """input == other elementwise, a bool tensor."""
    return _compare(np.equal, input, other)


def ne(input: Tensor, other) -> Tensor:
    return _compare(np.not_equal, input, other)


def lt(input: Tensor, other) -> Tensor:
    return _compare(np.less, input, other)


def le(input: Tensor, other) -> Tensor:
    return _compare(np.less_equal, input, other)


def gt(input: Tensor, other) -> Tensor:
    return _compare(np.greater, input, other)


def ge(input: Tensor, other) -> Tensor:
    return _compare(np.greater_equal, input, other)


class Maximum(Function):
    """out = max(a, b) elementwise (NaN wins); ties split the gradient in half.

    torch's derivative (tools/autograd/derivatives.yaml, `maximum`):
    d/da = where(a == b, grad / 2, grad) masked to 0 where a < b; d/db the same where a > b.
    `Minimum` is the mirror image.
    """

    __slots__ = ("a", "b", "smaller")

    def __init__(self, smaller: bool = False):
        self.smaller = smaller

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return np.minimum(a, b) if self.smaller else np.maximum(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        a, b = self.a, self.b
        half = np.where(a == b, grad / 2, grad)
        zero = np.zeros((), grad.dtype)
        a_loses, b_loses = (a > b, a < b) if self.smaller else (a < b, a > b)
        ga = unbroadcast(np.where(a_loses, zero, half), a.shape) if self.inputs[0].requires_grad else None
        gb = unbroadcast(np.where(b_loses, zero, half), b.shape) if self.inputs[1].requires_grad else None
        return ga, gb


def _binary_tensors(name: str, input, other):
    for arg, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' must be Tensor, not {type(value).__name__}; "
                f"wrap numbers with scratch.tensor(...) (or use clamp(min=...) / clamp(max=...))"
            )
    a, b, _ = promote(input, other)
    return a, b


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (broadcasting, type promotion, NaN propagates).

    Raises:
        TypeError: an argument is not a Tensor (torch takes tensors only).
    """
    return Maximum()(*_binary_tensors("maximum", input, other))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors; see `maximum`."""
    return Maximum(smaller=True)(*_binary_tensors("minimum", input, other))


def _integral(name: str, *tensors) -> None:
    for t in tensors:
        if isinstance(t, Tensor) and t.dtype.kind not in "biu":
            raise NotImplementedError(
                f'"{name}" is only implemented for integer and bool tensors, as in torch; got {t.dtype} '
                f"(compare first to make a mask, e.g. x > 0)"
            )


def logical_not(input: Tensor) -> Tensor:
    """~bool(input) elementwise, a bool tensor."""
    return Tensor(np.logical_not(input.data))


def bitwise_not(input: Tensor) -> Tensor:
    """`~input`: logical not for bool tensors, two's complement for integers."""
    _integral("bitwise_not", input)
    return Tensor(np.invert(input.data))


def _bitwise(ufunc, name: str, a: Tensor, b) -> Tensor:
    _integral(name, a, b)
    if isinstance(b, float):
        raise NotImplementedError(f'"{name}" is only implemented for integer and bool operands; got the float {b}')
    return _compare(ufunc, a, b)


def bitwise_and(input: Tensor, other) -> Tensor:
    return _bitwise(np.bitwise_and, "bitwise_and", input, other)


def bitwise_or(input: Tensor, other) -> Tensor:
    return _bitwise(np.bitwise_or, "bitwise_or", input, other)


def bitwise_xor(input: Tensor, other) -> Tensor:
    return _bitwise(np.bitwise_xor, "bitwise_xor", input, other)


def _logical(ufunc, name: str, input: Tensor, other: Tensor) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type(other).__name__}; "
                        f"wrap numbers with scratch.tensor(...)")
    try:
        return Tensor(ufunc(input.data, other.data))
    except ValueError:
        raise broadcast_error(input.data, other.data) from None


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """bool(input) and bool(other) elementwise, a bool tensor (other must be a tensor, as in torch)."""
    return _logical(np.logical_and, "logical_and", input, other)


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return _logical(np.logical_or, "logical_or", input, other)


def isnan(input: Tensor) -> Tensor:
    return Tensor(np.isnan(input.data) if input.dtype.kind in "fc" else np.zeros(input.shape, bool))


def isinf(input: Tensor) -> Tensor:
    return Tensor(np.isinf(input.data) if input.dtype.kind in "fc" else np.zeros(input.shape, bool))


def isfinite(input: Tensor) -> Tensor:
    return Tensor(np.isfinite(input.data) if input.dtype.kind in "fc" else np.ones(input.shape, bool))


def allclose(input: Tensor, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """Whether |input - other| <= atol + rtol |other| everywhere (torch's defaults), a Python bool."""
    if not isinstance(other, Tensor):
        raise TypeError(f"allclose(): argument 'other' must be Tensor, not {type(other).__name__}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"allclose: {input.dtype} did not match {other.dtype}; cast one side first "
                           f"(e.g. other.to(input.dtype))")
    try:
        np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise broadcast_error(input.data, other.data) from None
    return bool(np.allclose(input.data, other.data, rtol=rtol, atol=atol, equal_nan=equal_nan))

"""Powers: tensor ** number, tensor ** tensor, number ** tensor, with torch's values at 0.

torch computes `a ** c` for a float tensor and a few exponents with dedicated kernels
(aten/src/ATen/native/cpu/PowKernel.cpp): 0.5 -> sqrt, -0.5 -> rsqrt, -1 -> reciprocal,
2 -> a*a, 3 -> a*a*a, -2 -> 1/(a*a); they differ from `std::pow` at -0.0 and -inf
(rsqrt(-0.0) is -inf, sqrt(-inf) is nan). The gradients are torch's (FunctionsManual.cpp):

* `pow_backward`: d(a**c)/da = c * a**(c-1), and exactly 0 when c == 0;
* `pow_backward_self`: the same with a tensor exponent, 0 where the exponent is 0;
* `pow_backward_exponent`: d(a**b)/db = a**b * log(a), and 0 where a == 0 and b >= 0
  (so 0 ** x, x ** 0 and x ** y at (0, 0) have finite gradients).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import _is_scalar, _scalar, broadcast_error, cast, promote, unbroadcast
from .promotion import BOOL, float_result, result_type


def power_scalar(a: np.ndarray, c) -> np.ndarray:
    """a ** c with torch's special-cased kernels for float arrays."""
    if a.dtype.kind == "f":
        if c == 2:
            return a * a
        if c == 0.5:
            return np.sqrt(a)
        if c == -1:
            return 1 / a
        if c == -0.5:
            return 1 / np.sqrt(a)
        if c == 3:
            return a * a * a
        if c == -2:
            return 1 / (a * a)
    return a**c


class PowScalar(Function):
    """out = a ** c for a Python number c; d/da = c a^(c-1), 0 when c == 0."""

    __slots__ = ("scalar", "a")

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        self.a = a
        if self.scalar == 2:  # the common square, without the errstate's cost
            return a * a
        if self.scalar == 0:  # torch fills ones / copies for these, whatever the dtype (bool too)
            return np.ones_like(a)
        if self.scalar == 1:
            return a.copy()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return power_scalar(a, self.scalar)

    def backward(self, grad):
        c = self.scalar
        if c == 0:
            return (np.zeros_like(self.a),)
        if c == 2:
            return (grad * (2 * self.a),)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (grad * (c * power_scalar(self.a, c - 1)),)


def integer_power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ** b for integer arrays as torch computes it: a negative exponent gives 1 for a == 1,
    +-1 for a == -1 and 0 otherwise (numpy refuses negative integer exponents)."""
    negative = b < 0
    if not np.any(negative):
        return np.power(a, b)
    positive = np.power(a, np.where(negative, 0, b))
    odd = (b % 2) != 0
    special = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0)).astype(positive.dtype)
    return np.where(negative, special, positive)


class Pow(Function):
    """out = a ** b for tensors a, b of one dtype (broadcasting)."""

    __slots__ = ("a", "b", "out")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                self.out = integer_power(a, b) if a.dtype.kind in "iu" else np.power(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None
        return self.out

    def backward(self, grad):
        a, b, zero = self.a, self.b, np.zeros((), grad.dtype)
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.inputs[0].requires_grad:
                ga = unbroadcast(np.where(b == 0, zero, grad * (b * np.power(a, b - 1))), a.shape)
            if self.inputs[1].requires_grad:
                log_term = np.where((a == 0) & (b >= 0), zero, self.out * np.log(a))
                gb = unbroadcast(grad * log_term, b.shape)
        return ga, gb


class RPowScalar(Function):
    """out = c ** a for a Python number c; d/da = out log c, 0 where c == 0 and a >= 0."""

    __slots__ = ("scalar", "a", "out")

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        self.a = a
        if self.scalar == 1:
            self.out = np.ones_like(a)
        else:
            base = np.asarray(self.scalar, a.dtype)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                self.out = integer_power(base, a) if a.dtype.kind in "iu" else np.power(base, a)
        return self.out

    def backward(self, grad):
        c = self.scalar
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            term = self.out * np.log(np.asarray(c, grad.dtype))
            if c == 0:
                term = np.where(self.a >= 0, np.zeros((), grad.dtype), term)
        return (grad * term,)


def _check_integer_exponent(dtype, exponent) -> None:
    if dtype.kind in "iu" and exponent < 0:  # torch refuses a negative number exponent only
        raise RuntimeError(
            "Integers to negative integer powers are not allowed; cast the base to float first "
            "(x.float() ** -1)"
        )


def _check_not_bool(dtype) -> None:
    if dtype == BOOL:
        raise NotImplementedError('"pow" not implemented for \'Bool\'; cast to int or float first')


def pow(input: Tensor, exponent) -> Tensor:
    """input ** exponent (a number or a tensor), with torch's result dtype and gradients.

    Raises:
        RuntimeError: an integer tensor to a negative integer number (a negative integer
            *tensor* exponent gives 0, 1 or -1, as torch's integer pow).
        NotImplementedError: both operands bool.
    """
    if not isinstance(input, Tensor):
        return rpow(exponent, input)
    a, b, dtype = promote(input, exponent)
    if _is_scalar(b):
        if dtype.kind != "f" and b not in (0, 1):
            _check_not_bool(dtype)
            _check_integer_exponent(dtype, b)
        return PowScalar(b)(a)
    if dtype.kind != "f":
        _check_not_bool(dtype)  # a tensor exponent may be negative: torch's integer pow gives 0
    return Pow()(a, b)


def rpow(exponent: Tensor, base) -> Tensor:
    """base ** exponent for a number (or array) `base`: `0.7 ** arange(4)` is float32."""
    if not _is_scalar(base):
        return pow(base if isinstance(base, Tensor) else Tensor(base), exponent)
    base = _scalar(base)
    dtype = result_type(base, exponent)
    if dtype.kind != "f":
        _check_not_bool(dtype)
    return RPowScalar(base)(cast(exponent, dtype))


def square(input: Tensor) -> Tensor:
    """input * input; bool squares to int64 as in torch."""
    return pow(cast(input, np.dtype(np.int64)) if input.dtype == BOOL else input, 2)



def reciprocal(input: Tensor) -> Tensor:
    """1 / input (float32 for integer input), torch's reciprocal kernel."""
    return PowScalar(-1)(cast(input, float_result(input.dtype)))


class Rsqrt(Function):
    """out = 1 / sqrt(a); d/da = -out^3 / 2 (torch's rsqrt derivative, nan where out is nan)."""

    __slots__ = ("out",)

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = 1 / np.sqrt(a)
        return self.out

    def backward(self, grad):
        out = self.out
        return (grad * (-0.5 * out * out * out),)


def rsqrt(input: Tensor) -> Tensor:
    """1 / sqrt(input) (float32 for integer input); rsqrt(-0.0) is -inf, as in torch."""
    return Rsqrt()(cast(input, float_result(input.dtype)))

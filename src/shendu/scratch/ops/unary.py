"""Unary elementwise ops: neg, exp, log, sqrt, abs, clamp, and dtype casts."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor


def _scalar(x):
    # numpy scalars are strong types and would upcast float32 to float64; Python ones are weak.
    return x.item() if isinstance(x, np.generic) else x


class Neg(Function):
    """out = -a."""

    __slots__ = ()

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Exp(Function):
    """out = e^a; d/da = out."""

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    """out = ln a; d/da = 1/a."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Sqrt(Function):
    """out = sqrt(a); d/da = 1/(2 out)."""

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Abs(Function):
    """out = |a|; d/da = sign(a) (0 at 0, as torch)."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * np.sign(self.a),)


class Clamp(Function):
    """out = min(max(a, low), high); the gradient passes where low < a < high (torch 2's rule)."""

    __slots__ = ("low", "high", "a")

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def forward(self, a):
        self.a = a
        return np.clip(a, self.low, self.high)

    def backward(self, grad):
        a, mask = self.a, True
        if self.low is not None:
            mask = a > self.low
        if self.high is not None:
            mask = mask & (a < self.high)
        return (grad * mask,)


class Cast(Function):
    """out = a converted to `dtype` (always a copy); the gradient is cast back."""

    __slots__ = ("dtype", "in_dtype")

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, a):
        self.in_dtype = a.dtype
        return a.astype(self.dtype)

    def backward(self, grad):
        return (grad.astype(self.in_dtype),)


def neg(a: Tensor) -> Tensor:
    return Neg()(a)



def exp(a: Tensor) -> Tensor:
    return Exp()(a)



def log(a: Tensor) -> Tensor:
    return Log()(a)



def sqrt(a: Tensor) -> Tensor:
    return Sqrt()(a)



def abs(a: Tensor) -> Tensor:
    return Abs()(a)



def clamp(a: Tensor, min=None, max=None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp(_scalar(min), _scalar(max))(a)

"""Binary elementwise ops with numpy broadcasting (+ - * / **, where) and their scalar forms."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .unary import Neg


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing the broadcasting that made it larger."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def broadcast_error(a: np.ndarray, b: np.ndarray) -> RuntimeError:
    """The RuntimeError torch raises when two shapes cannot broadcast."""
    sa, sb = a.shape[::-1], b.shape[::-1]
    for i, (x, y) in enumerate(zip(sa, sb, strict=False)):
        if x != y and x != 1 and y != 1:
            dim = max(a.ndim, b.ndim) - 1 - i
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {dim}; got shapes {a.shape} and {b.shape}"
            )
    return RuntimeError(f"shapes {a.shape} and {b.shape} cannot be broadcast together")


def data_of(x):
    """The array behind a Tensor, or a Python/numpy scalar or array as is."""
    return x.data if isinstance(x, Tensor) else x


def _scalar(x):
    # numpy scalars are strong types and would upcast float32 to float64; Python ones are weak.
    return x.item() if isinstance(x, np.generic) else x


def _is_scalar(x) -> bool:
    return isinstance(x, (int, float, np.generic))


class Add(Function):
    """out = a + b (broadcasting)."""

    __slots__ = ("a_shape", "b_shape")

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        try:
            return a + b
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)


class Sub(Function):
    """out = a - b (broadcasting)."""

    __slots__ = ("a_shape", "b_shape")

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        try:
            return a - b
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)


class Mul(Function):
    """out = a * b (broadcasting)."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad * b, a.shape) if self.inputs[0].requires_grad else None
        gb = unbroadcast(grad * a, b.shape) if self.inputs[1].requires_grad else None
        return ga, gb


class Div(Function):
    """out = a / b (broadcasting); d/da = 1/b, d/db = -a/b^2."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a / b
        except ValueError:
            raise broadcast_error(a, b) from None

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad / b, a.shape) if self.inputs[0].requires_grad else None
        gb = unbroadcast(-grad * a / (b * b), b.shape) if self.inputs[1].requires_grad else None
        return ga, gb


class Pow(Function):
    """out = a ** b for tensor b; d/da = b a^(b-1), d/db = a^b log a."""

    __slots__ = ("a", "b", "out")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            self.out = a**b
        except ValueError:
            raise broadcast_error(a, b) from None
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape) if self.inputs[0].requires_grad else None
        gb = unbroadcast(grad * self.out * np.log(a), b.shape) if self.inputs[1].requires_grad else None
        return ga, gb


class AddScalar(Function):
    """out = a + c for a Python number c."""

    __slots__ = ("scalar",)

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        return a + self.scalar

    def backward(self, grad):
        return (grad,)


class MulScalar(Function):
    """out = a * c for a Python number c."""

    __slots__ = ("scalar",)

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        return a * self.scalar

    def backward(self, grad):
        return (grad * self.scalar,)


class DivScalar(Function):
    """out = a / c for a Python number c."""

    __slots__ = ("scalar",)

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        return a / self.scalar

    def backward(self, grad):
        return (grad / self.scalar,)


class RDivScalar(Function):
    """out = c / a for a Python number c; d/da = -c/a^2 = -out/a."""

    __slots__ = ("scalar", "a", "out")

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        self.a = a
        self.out = self.scalar / a
        return self.out

    def backward(self, grad):
        return (-grad * self.out / self.a,)


class PowScalar(Function):
    """out = a ** c for a Python number c; d/da = c a^(c-1)."""

    __slots__ = ("scalar", "a")

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        self.a = a
        return a**self.scalar

    def backward(self, grad):
        c = self.scalar
        return (grad * (2 * self.a if c == 2 else c * self.a ** (c - 1)),)


class Where(Function):
    """out = a where condition else b (condition is a constant bool array)."""

    __slots__ = ("condition", "a_shape", "b_shape")

    def __init__(self, condition: np.ndarray):
        self.condition = condition

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return np.where(self.condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        return (
            unbroadcast(np.where(self.condition, grad, zero), self.a_shape),
            unbroadcast(np.where(self.condition, zero, grad), self.b_shape),
        )


def _as_tensor(x, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=like.dtype))


def add(a: Tensor, b) -> Tensor:
    return AddScalar(_scalar(b))(a) if _is_scalar(b) else Add()(a, _as_tensor(b, a))


def sub(a: Tensor, b) -> Tensor:
    return AddScalar(-_scalar(b))(a) if _is_scalar(b) else Sub()(a, _as_tensor(b, a))


def rsub(a: Tensor, b) -> Tensor:
    """b - a."""
    return AddScalar(_scalar(b))(Neg()(a)) if _is_scalar(b) else Sub()(_as_tensor(b, a), a)


def mul(a: Tensor, b) -> Tensor:
    return MulScalar(_scalar(b))(a) if _is_scalar(b) else Mul()(a, _as_tensor(b, a))


def div(a: Tensor, b) -> Tensor:
    return DivScalar(_scalar(b))(a) if _is_scalar(b) else Div()(a, _as_tensor(b, a))


def rdiv(a: Tensor, b) -> Tensor:
    """b / a."""
    return RDivScalar(_scalar(b))(a) if _is_scalar(b) else Div()(_as_tensor(b, a), a)


def pow(a: Tensor, exponent) -> Tensor:
    if _is_scalar(exponent):
        return PowScalar(_scalar(exponent))(a)
    return Pow()(a, _as_tensor(exponent, a))


def rpow(a: Tensor, base) -> Tensor:
    """base ** a."""
    return Pow()(_as_tensor(base, a), a)


def where(condition, a, b) -> Tensor:
    """Pick `a` where `condition` holds, else `b` (tensors or scalars, broadcasting)."""
    like = a if isinstance(a, Tensor) else b
    return Where(np.asarray(data_of(condition), dtype=bool))(_as_tensor(a, like), _as_tensor(b, like))

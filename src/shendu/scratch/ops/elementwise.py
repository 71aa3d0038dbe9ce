"""Binary arithmetic with numpy broadcasting and torch's type promotion: + - * /, where
(// and % in `division`, ** in `power`).

Every wrapper first brings both operands to `promotion.result_type` (Python numbers stay
numbers, numpy treats them as weak types as torch does), so the op classes below always see
arrays of one dtype. True division and float exponents of integer tensors give float32.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .promotion import BOOL, float_result, result_type
from .unary import Cast, Neg  # noqa: F401  (Neg: re-exported for older imports)


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


def as_tensor(x) -> Tensor:
    """`x` as a Tensor: tensors as they are, arrays keep their dtype, lists follow `tensor()`."""
    return x if isinstance(x, Tensor) else Tensor(x)


def cast(t: Tensor, dtype: np.dtype) -> Tensor:
    """`t` in `dtype`, through the graph (the gradient is cast back)."""
    return t if t.data.dtype == dtype else Cast(dtype)(t)


def _wrap_int(b, dtype: np.dtype):
    # torch casts an integer number to a narrower integer tensor's dtype, wrapping around
    # (uint8 + -1 adds 255); numpy would refuse. int64 and floats take any Python int.
    if dtype.kind in "iu" and dtype.itemsize < 8 and b.__class__ is int:
        info = np.iinfo(dtype)
        if not info.min <= b <= info.max:
            return int(np.array(b).astype(dtype))
    return b


def promote(a: Tensor, b):
    """(a, b, dtype) with both operands in torch's result dtype; a number `b` stays a number."""
    dtype = a.data.dtype
    kind = b.__class__
    if isinstance(b, Tensor):
        if b.data.dtype == dtype:  # the common case first: no promotion needed
            return a, b, dtype
    elif kind is float:
        if dtype.kind == "f":
            return a, b, dtype
    elif kind is int and dtype.kind in "fiu":
        return a, _wrap_int(b, dtype), dtype
    if _is_scalar(b):
        b = _scalar(b)
        dtype = result_type(a, b)
        return cast(a, dtype), _wrap_int(b, dtype), dtype
    b = as_tensor(b)
    if b.data.dtype == dtype:
        return a, b, dtype
    dtype = result_type(a, b)
    return cast(a, dtype), cast(b, dtype), dtype


def _check_sub(a, b) -> None:
    # torch's sub_check: no operand of a subtraction may be bool (Python True/False included).
    for x in (a, b):
        if isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x.data.dtype == BOOL):
            raise NotImplementedError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )


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


class AddScalar(Function):
    """out = a + c for a Python number c."""

    __slots__ = ("scalar",)

    def __init__(self, scalar):
        self.scalar = scalar

    def forward(self, a):
        return a + self.scalar

    def backward(self, grad):
        return (grad,)


class SubScalar(Function):
    """out = a - c (or c - a when `reverse`) for a Python number c."""

    __slots__ = ("scalar", "reverse")

    def __init__(self, scalar, reverse: bool = False):
        self.scalar, self.reverse = scalar, reverse

    def forward(self, a):
        return self.scalar - a if self.reverse else a - self.scalar

    def backward(self, grad):
        return (-grad if self.reverse else grad,)


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


class Where(Function):
    """out = a where condition else b (condition is a constant bool array)."""

    __slots__ = ("condition", "a_shape", "b_shape")

    def __init__(self, condition: np.ndarray):
        self.condition = condition

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        try:
            return np.where(self.condition, a, b)
        except ValueError:
            raise RuntimeError(
                f"where: condition {self.condition.shape}, input {a.shape} and other {b.shape} "
                "must broadcast to one shape"
            ) from None

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        return (
            unbroadcast(np.where(self.condition, grad, zero), self.a_shape),
            unbroadcast(np.where(self.condition, zero, grad), self.b_shape),
        )


def _check_alpha(a: Tensor, b, alpha) -> None:
    # torch's alpha_check: a bool alpha only for bool results, a float alpha never for integer ones.
    dtype = result_type(a, b)
    if isinstance(alpha, (bool, np.bool_)):
        if dtype != BOOL:
            raise RuntimeError(f"Boolean alpha only supported for Boolean results; got alpha={alpha} for a "
                               f"{dtype} result")
    elif isinstance(alpha, (float, np.floating)) and dtype.kind in "biu":
        raise RuntimeError(f"For integral input tensors, argument alpha must not be a floating point number; "
                           f"got alpha={alpha} for a {dtype} result")


def _scaled(a: Tensor, b, alpha):
    """(a, alpha * b), both in result_type(a, b): alpha takes no part in the promotion."""
    a, b, dtype = promote(a, b)
    if not _is_scalar(b):
        return a, cast(mul(b, alpha), dtype)  # bool * int alpha would be int64
    b = _scalar(b) * alpha
    return a, (bool(b) if dtype == BOOL else int(b) if dtype.kind in "iu" else b)


def add(a: Tensor, b, *, alpha=1) -> Tensor:
    """a + alpha * b with torch's type promotion (int tensor + 0.5 -> float32)."""
    if not isinstance(a, Tensor):
        return add(as_tensor(b), a) if alpha == 1 else add(as_tensor(a), b, alpha=alpha)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha(a, b, alpha)
        a, b = _scaled(a, b, alpha)
    a, b, dtype = promote(a, b)
    return AddScalar(b)(a) if _is_scalar(b) else Add()(a, b)


def sub(a: Tensor, b, *, alpha=1) -> Tensor:
    """a - alpha * b; bool - bool raises NotImplementedError, as in torch."""
    if not isinstance(a, Tensor):
        return rsub(as_tensor(b), a) if alpha == 1 else sub(as_tensor(a), b, alpha=alpha)
    _check_sub(a, b)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha(a, b, alpha)
        a, b = _scaled(a, b, alpha)
    a, b, dtype = promote(a, b)
    return SubScalar(b)(a) if _is_scalar(b) else Sub()(a, b)


def rsub(a: Tensor, b) -> Tensor:
    """b - a."""
    _check_sub(a, b)
    a, b, dtype = promote(a, b)
    return SubScalar(b, reverse=True)(a) if _is_scalar(b) else Sub()(b, a)


def mul(a: Tensor, b) -> Tensor:
    """a * b with torch's type promotion."""
    if not isinstance(a, Tensor):
        a, b = as_tensor(b), a
    a, b, _ = promote(a, b)
    return MulScalar(b)(a) if _is_scalar(b) else Mul()(a, b)


def div(a: Tensor, b, *, rounding_mode: str | None = None) -> Tensor:
    """a / b. True division (the default) gives float32 for integer and bool operands, as in
    torch; rounding_mode "trunc" or "floor" rounds the quotient and keeps the promoted dtype.

    Raises:
        RuntimeError: another rounding_mode.
    """
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
            )
        from .division import DivRounded, both_tensors

        return DivRounded(rounding_mode)(*both_tensors(a, b, "div"))
    a, b, dtype = promote(a, b)
    if dtype.kind not in "fc":
        a, b = cast(a, float_result(dtype)), b if _is_scalar(b) else cast(b, float_result(dtype))
    return DivScalar(b)(a) if _is_scalar(b) else Div()(a, b)


def rdiv(a: Tensor, b) -> Tensor:
    """b / a."""
    a, b, dtype = promote(a, b)
    if dtype.kind not in "fc":
        a, b = cast(a, float_result(dtype)), b if _is_scalar(b) else cast(b, float_result(dtype))
    return RDivScalar(b)(a) if _is_scalar(b) else Div()(b, a)


def where(condition, input, other) -> Tensor:
    """Pick `input` where `condition` holds, else `other` (tensors or numbers, broadcasting).

    The result dtype is `result_type(input, other)`: `where(c, 4, 2)` is int64, `where(c, x, 0.5)`
    keeps x's float dtype, as in torch.

    Raises:
        RuntimeError: `condition` is not bool, or the three shapes do not broadcast.
    """
    cond = np.asarray(data_of(condition))
    if cond.dtype != BOOL:
        if cond.dtype != np.uint8:
            raise RuntimeError(
                f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                f"{cond.dtype}; compare it first, e.g. where(mask != 0, ...)"
            )
        cond = cond.astype(bool)
    dtype = result_type(input, other)
    a = cast(input, dtype) if isinstance(input, Tensor) else Tensor(np.asarray(data_of(input), dtype))
    b = cast(other, dtype) if isinstance(other, Tensor) else Tensor(np.asarray(data_of(other), dtype))
    return Where(cond)(a, b)

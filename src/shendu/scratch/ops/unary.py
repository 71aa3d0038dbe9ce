"""Unary elementwise ops: neg, exp, log, sqrt, sin, cos, abs, clamp, and dtype casts.

The float-only ops (exp, log, sqrt, sin, cos) turn integer and bool inputs into float32
first, as torch does (`torch.exp(torch.tensor([1]))` is float32).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor

_BOOL = np.dtype(bool)
_FLOAT32 = np.dtype(np.float32)


def _scalar(x):
    # numpy scalars are strong types and would upcast float32 to float64; Python ones are weak.
    return x.item() if isinstance(x, np.generic) else x


def _floating(a: Tensor) -> Tensor:
    """`a` itself when it is floating point, else a float32 copy (torch's default dtype)."""
    return a if a.data.dtype.kind in "fc" else Cast(_FLOAT32)(a)


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


class Sin(Function):
    """out = sin a; d/da = cos a."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, grad):
        return (grad * np.cos(self.a),)


class Cos(Function):
    """out = cos a; d/da = -sin a."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, grad):
        return (-grad * np.sin(self.a),)


class Log1p(Function):
    """out = ln(1 + a); d/da = 1/(1 + a)."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.log1p(a)

    def backward(self, grad):
        return (grad / (1 + self.a),)


class Expm1(Function):
    """out = e^a - 1; d/da = out + 1."""

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, grad):
        return (grad * (self.out + 1),)


class Abs(Function):
    """out = |a|; d/da = sign(a) (0 at 0 and at nan, as torch)."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * np.nan_to_num(np.sign(self.a), nan=0.0),)  # torch's sgn: 0 at nan


class Clamp(Function):
    """out = min(max(a, low), high) for numbers low/high; the gradient passes where
    low < a < high (torch's rule: 0 at the bounds themselves)."""

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


class ClampTensor(Function):
    """out = min(max(a, low), high) for tensor bounds (either may be absent), broadcasting.

    torch's gradient (checked against torch 2.14 on ties and NaN): an element clamped by a
    bound sends its gradient to that bound; an element equal to one bound shares it half and
    half with that bound; an element equal to both keeps it; when low > high everything goes
    to high; a NaN element keeps its gradient (and shares it with a lone bound).
    """

    __slots__ = ("has_low", "has_high", "arrays")

    def __init__(self, has_low: bool, has_high: bool):
        self.has_low, self.has_high = has_low, has_high

    def forward(self, a, *bounds):
        self.arrays = (a, *bounds)
        out, rest = a, list(bounds)
        try:
            if self.has_low:
                out = np.maximum(out, rest.pop(0))
            if self.has_high:
                out = np.minimum(out, rest.pop(0))
        except ValueError:
            raise RuntimeError(
                f"clamp: input {a.shape} and bounds {[b.shape for b in bounds]} must broadcast to one shape"
            ) from None
        return out

    def backward(self, grad):
        from .elementwise import unbroadcast

        a, *bounds = self.arrays
        low = bounds.pop(0) if self.has_low else None
        high = bounds.pop(0) if self.has_high else None
        false = np.zeros(grad.shape, bool)
        cross = (low > high) if low is not None and high is not None else false
        below = (a < low) & ~cross if low is not None else false
        above = (a > high) & ~cross if high is not None else false
        tie_low = (a == low) & ~cross if low is not None else false
        tie_high = (a == high) & ~cross if high is not None else false
        both = tie_low & tie_high
        # A NaN input keeps its gradient; with a single bound it also sends it to that bound.
        nan = np.isnan(a) if low is None or high is None else false
        one, half, zero = (np.asarray(v, grad.dtype) for v in (1.0, 0.5, 0.0))
        share = np.where(both, one, np.where(tie_low | tie_high, half, one))
        kept = np.isnan(a) | ~(cross | below | above)
        grads = [unbroadcast(grad * np.where(kept, share, zero), a.shape)]
        if low is not None:
            to_low = np.where(below | nan, one, np.where(tie_low & ~both, half, zero))
            grads.append(unbroadcast(grad * to_low, low.shape))
        if high is not None:
            to_high = np.where(cross | above | nan, one, np.where(tie_high & ~both, half, zero))
            grads.append(unbroadcast(grad * to_high, high.shape))
        return tuple(grads)


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


def neg(input: Tensor) -> Tensor:
    """-input.

    Raises:
        NotImplementedError: a bool tensor (torch's rule: use `~` / logical_not to invert a mask).
    """
    if input.data.dtype == _BOOL:
        raise NotImplementedError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg()(input)


def exp(input: Tensor) -> Tensor:
    return Exp()(_floating(input))


def log(input: Tensor) -> Tensor:
    return Log()(_floating(input))


def sqrt(input: Tensor) -> Tensor:
    return Sqrt()(_floating(input))


def log1p(input: Tensor) -> Tensor:
    """ln(1 + input), accurate near 0."""
    return Log1p()(_floating(input))


def expm1(input: Tensor) -> Tensor:
    """e^input - 1, accurate near 0."""
    return Expm1()(_floating(input))


def sin(input: Tensor) -> Tensor:
    """Elementwise sine (radians); integer inputs give float32."""
    return Sin()(_floating(input))


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine (radians); integer inputs give float32."""
    return Cos()(_floating(input))


def abs(input: Tensor) -> Tensor:
    """|input|; integers stay integers.

    Raises:
        NotImplementedError: a bool tensor, as in torch.
    """
    if input.data.dtype == _BOOL:
        raise NotImplementedError('"abs" is not implemented for bool tensors; cast to int first')
    return Abs()(input)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limit `input` to [min, max]: both numbers, or both tensors (broadcasting), or None.

    With numbers the gradient is 1 strictly inside the range; with tensor bounds the bounds
    get gradients too and ties share them (see `ClampTensor`), as torch's do. The
    result dtype follows type promotion (an int tensor clamped to 0.5 is float32). When
    min > max every element is max.

    A 0-d tensor that does not require grad, next to a number, counts as a number (torch's
    argument parser reads it as a Scalar).

    Raises:
        RuntimeError: both bounds are None.
        TypeError: one bound is a number and the other a tensor that is not 0-d, or requires grad.
    """
    from .elementwise import cast
    from .promotion import result_type

    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    tensors = [isinstance(b, Tensor) for b in bounds]
    if any(tensors) and not all(tensors) and all(b.ndim == 0 and not b.requires_grad for b in bounds
                                                 if isinstance(b, Tensor)):
        min, max = (b.item() if isinstance(b, Tensor) else b for b in (min, max))
        bounds, tensors = [b for b in (min, max) if b is not None], [False] * len(bounds)
    if any(tensors) and not all(tensors):
        raise TypeError(
            "clamp() takes numbers or tensors for min and max, not one of each; got "
            f"min={type(min).__name__}, max={type(max).__name__}: wrap the number with scratch.tensor()"
        )
    dtype = result_type(input, *[_scalar(b) for b in bounds])
    if dtype == _BOOL and (not any(tensors) or len(bounds) == 2):  # torch's clamp_min/max tensor kernels take bool
        raise NotImplementedError('"clamp" is not implemented for bool tensors with number bounds or two tensor '
                                  "bounds, as in torch; convert with .long() or .float() first")
    out = cast(input, dtype)
    if any(tensors):
        return ClampTensor(min is not None, max is not None)(out, *[cast(b, dtype) for b in bounds])
    return Clamp(_scalar(min), _scalar(max))(out)

"""Activations: sigmoid, tanh, relu, leaky_relu, gelu (exact erf or tanh form), silu, elu, softplus,
mish, hardtanh/relu6, logsigmoid, softmax, log_softmax."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim
from .special import erf
from .unary import Cast

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a); d/da = out (1 - out)."""

    __slots__ = ("out",)

    def forward(self, a):
        # exp(-softplus(-a)) never overflows, unlike 1 / (1 + exp(-a)) for a << 0.
        self.out = np.exp(-np.logaddexp(0, -a))
        return self.out

    def backward(self, grad):
        out = self.out
        return (grad * out * (1 - out),)


class Tanh(Function):
    """out = tanh(a); d/da = 1 - out^2."""

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, grad):
        out = self.out
        return (grad * (1 - out * out),)


class ReLU(Function):
    """out = max(a, 0); d/da = 0 where out <= 0, else 1 (torch's threshold_backward: nan passes)."""

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.maximum(a, 0)
        return self.out

    def backward(self, grad):
        return (grad * ~(self.out <= 0),)


class LeakyReLU(Function):
    """out = a if a > 0 else negative_slope * a."""

    __slots__ = ("negative_slope", "a")

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = negative_slope

    def forward(self, a):
        self.a = a
        return np.where(a > 0, a, a * self.negative_slope)

    def backward(self, grad):
        return (np.where(self.a > 0, grad, grad * self.negative_slope),)


class GELU(Function):
    """out = a * Phi(a), Phi the standard normal CDF = (1 + erf(a / sqrt 2)) / 2.

    Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016. With
    approximate="tanh", Phi(a) ~ (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))) / 2.
    """

    __slots__ = ("approximate", "a", "cdf", "inner")

    def __init__(self, approximate: str = "none"):
        self.approximate = approximate

    def forward(self, a):
        self.a = a
        if self.approximate == "tanh":
            self.inner = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
            self.cdf = 0.5 * (1 + self.inner)
        else:
            self.cdf = 0.5 * (1 + erf(a * _SQRT_HALF))
        return a * self.cdf

    def backward(self, grad):
        a = self.a
        if self.approximate == "tanh":
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (self.cdf + 0.5 * a * (1 - self.inner * self.inner) * d_inner),)
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * a * a)
        return (grad * (self.cdf + a * pdf),)


class SiLU(Function):
    """out = a * sigmoid(a); d/da = s (1 + a (1 - s)).

    Elfwing, Uchibe & Doya, "Sigmoid-Weighted Linear Units", 2017 (the swish of Ramachandran et al.).
    """

    __slots__ = ("a", "sig")

    def forward(self, a):
        self.a, self.sig = a, np.exp(-np.logaddexp(0, -a))
        return a * self.sig

    def backward(self, grad):
        s = self.sig
        return (grad * s * (1 + self.a * (1 - s)),)


class ELU(Function):
    """out = a if a > 0 else alpha (e^a - 1); d/da = 1 or alpha e^a.

    Clevert, Unterthiner & Hochreiter, "Fast and Accurate Deep Network Learning by ELUs", 2015.
    """

    __slots__ = ("alpha", "a")

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def forward(self, a):
        self.a = a
        return np.where(a > 0, a, self.alpha * np.expm1(np.minimum(a, 0)))

    def backward(self, grad):
        a = self.a
        return (np.where(a > 0, grad, grad * self.alpha * np.exp(np.minimum(a, 0))),)


class Softplus(Function):
    """out = log(1 + e^(beta a)) / beta, or a where beta a > threshold; d/da = sigmoid(beta a) (1 there)."""

    __slots__ = ("beta", "threshold", "a")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, a):
        self.a = a
        z = a * self.beta
        return np.where(z > self.threshold, a, np.logaddexp(0, z) / self.beta)

    def backward(self, grad):
        z = self.a * self.beta
        return (np.where(z > self.threshold, grad, grad * np.exp(-np.logaddexp(0, -z))),)


class Mish(Function):
    """out = a tanh(softplus(a)); d/da = t + a sigmoid(a) (1 - t^2), t = tanh(softplus(a)).

    Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", 2019.
    """

    __slots__ = ("a", "t")

    def forward(self, a):
        self.a, self.t = a, np.tanh(np.logaddexp(0, a))
        return a * self.t

    def backward(self, grad):
        a, t = self.a, self.t
        return (grad * (t + a * np.exp(-np.logaddexp(0, -a)) * (1 - t * t)),)


class Hardtanh(Function):
    """out = clip(a, min_val, max_val); d/da = 1 strictly inside (min_val, max_val), else 0."""

    __slots__ = ("min_val", "max_val", "a")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        self.min_val, self.max_val = min_val, max_val

    def forward(self, a):
        self.a = a
        if a.dtype.kind != "f":  # integer kernels take the bounds truncated to integers, as torch's
            return np.clip(a, int(self.min_val), int(self.max_val)).astype(a.dtype)
        return np.clip(a, self.min_val, self.max_val)

    def backward(self, grad):
        a = self.a
        return (grad * ((a > self.min_val) & (a < self.max_val)),)


class LogSigmoid(Function):
    """out = log sigmoid(a) = -softplus(-a); d/da = sigmoid(-a)."""

    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return -np.logaddexp(0, -a)

    def backward(self, grad):
        return (grad * np.exp(-np.logaddexp(0, self.a)),)


class Softmax(Function):
    """out = e^a / sum(e^a) along `axis` (max-shifted for stability)."""

    __slots__ = ("axis", "out")

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, a):
        e = np.exp(a - a.max(axis=self.axis, keepdims=True, initial=-np.inf))  # initial: empty dims
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """out = a - logsumexp(a) along `axis`; d/da = grad - softmax * sum(grad)."""

    __slots__ = ("axis", "out")

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, a):
        shifted = a - a.max(axis=self.axis, keepdims=True, initial=-np.inf)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


def _float_only(name: str, a: Tensor) -> Tensor:
    """`a`, which must be floating point: torch has no integer or bool kernel for `name`."""
    if a.data.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" is not implemented for {a.data.dtype} tensors, as in torch; '
                                  f"convert with .float() first")
    return a


def _no_bool(name: str, a: Tensor) -> Tensor:
    if a.data.dtype == np.bool_:
        raise NotImplementedError(f"Bool inputs are not supported for {name}, as in torch; convert with .float() "
                                  f"or .long() first")
    return a


def _floating(a: Tensor) -> Tensor:
    """`a` itself when floating point, else a float32 copy (torch's default dtype)."""
    return a if a.data.dtype.kind == "f" else Cast(np.float32)(a)


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a); integer and bool inputs give float32, as in torch."""
    return Sigmoid()(_floating(a))


def tanh(a: Tensor) -> Tensor:
    """tanh(a); integer and bool inputs give float32, as in torch."""
    return Tanh()(_floating(a))


def relu(a: Tensor) -> Tensor:
    """max(a, 0); integers stay integers; bool raises NotImplementedError, as in torch."""
    return ReLU()(_no_bool("relu", a))


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU(negative_slope)(_float_only("leaky_relu", a))


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    """GELU; `approximate` is "none" (exact, erf) or "tanh".

    Raises:
        RuntimeError: any other `approximate`.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh; got {approximate!r}")
    return GELU(approximate)(_float_only("gelu", a))


def silu(a: Tensor) -> Tensor:
    return SiLU()(_float_only("silu", a))


def elu(a: Tensor, alpha: float = 1.0) -> Tensor:
    return ELU(alpha)(_float_only("elu", a))


def softplus(a: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta a)) / beta, linear where beta a > threshold (torch's switch)."""
    return Softplus(beta, threshold)(_float_only("softplus", a))


def mish(a: Tensor) -> Tensor:
    return Mish()(_float_only("mish", a))


def hardtanh(a: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """clip(a, min_val, max_val).

    Raises:
        ValueError: max_val < min_val.
    """
    if max_val < min_val:
        raise ValueError(f"max_val cannot be less than min_val; got min_val={min_val}, max_val={max_val}")
    return Hardtanh(min_val, max_val)(_no_bool("hardtanh", a))


def relu6(a: Tensor) -> Tensor:
    """min(max(a, 0), 6); integers stay integers."""
    return hardtanh(a, 0.0, 6.0)


def logsigmoid(a: Tensor) -> Tensor:
    return LogSigmoid()(_float_only("log_sigmoid", a))


def softmax(a: Tensor, dim: int) -> Tensor:
    """Softmax along `dim` (IndexError if out of range)."""
    return Softmax(normalize_dim(dim, a.ndim))(_float_only("softmax", a))


def log_softmax(a: Tensor, dim: int) -> Tensor:
    """Log-softmax along `dim`, computed without forming softmax (stable for large logits)."""
    return LogSoftmax(normalize_dim(dim, a.ndim))(_float_only("log_softmax", a))

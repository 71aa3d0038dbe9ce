"""Activation functions and their derivatives, written out as a hand calculation does, each
with torch's conventions (``torch.nn.functional``): the value at x, the analytic derivative and
the central finite difference that checks it.

The derivatives are the ones torch's autograd returns, also at the kinks where the function
has no derivative: ``relu'(0) = 0`` and ``leaky_relu'(0) = negative_slope`` (PyTorch's
``threshold_backward`` / ``leaky_relu_backward`` take the left side at 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from shendu.lab.explain.numbers import ExplainError, fmt, paren

NEGATIVE_SLOPE = 0.01
"""``torch.nn.functional.leaky_relu``'s default ``negative_slope``."""
SOFTPLUS_THRESHOLD = 20.0
"""``torch.nn.functional.softplus`` returns x itself above this (``threshold=20``, ``beta=1``)."""


def sigmoid(x: float) -> float:
    if x >= 0:  # the form without overflow on either side
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _softplus(x: float) -> float:
    return x if x > SOFTPLUS_THRESHOLD else math.log1p(math.exp(x))


@dataclass(frozen=True)
class Activation:
    """One activation: its formula and derivative as text, and both as functions of float64 x.

    ``value_steps(x, d)`` / ``derivative_steps(x, d)`` write the formula with x filled in and its
    result (``d`` decimals); ``kink`` is where the function has no derivative (None: differentiable everywhere).
    """

    name: str
    torch_name: str
    formula: str
    derivative_formula: str
    function: Callable[[float], float]
    derivative: Callable[[float], float]
    value_steps: Callable[[float, int], str]
    derivative_steps: Callable[[float, int], str]
    kink: float | None = None
    kink_note: str = ""


def _eq(expr: str, value: float, d: int) -> str:
    """``expr = value``, or just the value when the expression is the value itself."""
    shown = fmt(value, d)
    return shown if expr == shown else f"{expr} = {shown}"


def _sigmoid_value(x: float, d: int) -> str:
    return _eq(f"1 / (1 + e^{paren(-x, d)})", sigmoid(x), d)


def _sigmoid_derivative(x: float, d: int) -> str:
    s = sigmoid(x)
    return _eq(f"{fmt(s, d)} × (1 - {fmt(s, d)})", s * (1.0 - s), d)


def _tanh_value(x: float, d: int) -> str:
    if abs(x) > 350:  # e^x overflows a float; tanh is ±1 there
        return _eq(f"tanh({fmt(x, d)})", math.tanh(x), d)
    return _eq(f"(e^{paren(x, d)} - e^{paren(-x, d)}) / (e^{paren(x, d)} + e^{paren(-x, d)})", math.tanh(x), d)


def _branch(x: float, d: int, positive: str, other: str, value: float | None = None) -> str:
    """A piecewise function's step: which piece x falls in, then the value (when that piece is
    an expression to work out)."""
    piece = f"x = {fmt(x, d)} {'> 0' if x > 0 else '<= 0'}, so {positive if x > 0 else other}"
    return piece if value is None else _eq(piece, value, d)


def _gelu_value(x: float, d: int) -> str:
    return _eq(f"{paren(x, d)} × {fmt(_normal_cdf(x), d)}", x * _normal_cdf(x), d)


def _gelu_derivative(x: float, d: int) -> str:
    return _eq(f"{fmt(_normal_cdf(x), d)} + {paren(x, d)} × {fmt(_normal_pdf(x), d)}",
               _normal_cdf(x) + x * _normal_pdf(x), d)


def _softplus_value(x: float, d: int) -> str:
    if x > SOFTPLUS_THRESHOLD:
        return f"x = {fmt(x, d)} > {SOFTPLUS_THRESHOLD:g}, so x = {fmt(x, d)}"
    return _eq(f"ln(1 + e^{paren(x, d)})", _softplus(x), d)


def _softplus_derivative(x: float, d: int) -> str:
    if x > SOFTPLUS_THRESHOLD:
        return f"x = {fmt(x, d)} > {SOFTPLUS_THRESHOLD:g}, so 1"
    return _eq(f"1 / (1 + e^{paren(-x, d)})", sigmoid(x), d)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation(
        "identity", "torch.nn.Identity", "identity(x) = x", "identity'(x) = 1",
        lambda x: x, lambda x: 1.0,
        lambda x, d: fmt(x, d), lambda x, d: "1"),
    Activation(
        "sigmoid", "torch.sigmoid", "σ(x) = 1 / (1 + e^(-x))", "σ'(x) = σ(x) × (1 - σ(x))",
        sigmoid, lambda x: sigmoid(x) * (1.0 - sigmoid(x)),
        _sigmoid_value, _sigmoid_derivative),
    Activation(
        "tanh", "torch.tanh", "tanh(x) = (e^x - e^(-x)) / (e^x + e^(-x))", "tanh'(x) = 1 - tanh(x)²",
        math.tanh, lambda x: 1.0 - math.tanh(x) ** 2,
        _tanh_value, lambda x, d: _eq(f"1 - {paren(math.tanh(x), d)}²", 1.0 - math.tanh(x) ** 2, d)),
    Activation(
        "relu", "torch.relu", "relu(x) = max(0, x)", "relu'(x) = 1 if x > 0 else 0",
        lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0,
        lambda x, d: _eq(f"max(0, {fmt(x, d)})", max(0.0, x), d),
        lambda x, d: _branch(x, d, "1", "0"),
        kink=0.0,
        kink_note="relu has no derivative at 0 (from the left 0, from the right 1); torch's autograd returns 0 "
                  "there, and so does this calculator. A central difference around 0 averages the two sides: 0.5."),
    Activation(
        "leaky_relu", "torch.nn.functional.leaky_relu",
        f"leaky_relu(x) = x if x > 0 else {NEGATIVE_SLOPE} × x",
        f"leaky_relu'(x) = 1 if x > 0 else {NEGATIVE_SLOPE}",
        lambda x: x if x > 0 else NEGATIVE_SLOPE * x, lambda x: 1.0 if x > 0 else NEGATIVE_SLOPE,
        lambda x, d: _branch(x, d, "x", f"{NEGATIVE_SLOPE} × {paren(x, d)}", x if x > 0 else NEGATIVE_SLOPE * x),
        lambda x, d: _branch(x, d, "1", f"{NEGATIVE_SLOPE}"),
        kink=0.0,
        kink_note=f"leaky_relu has no derivative at 0 (from the left {NEGATIVE_SLOPE}, from the right 1); torch's "
                  f"autograd returns {NEGATIVE_SLOPE} (negative_slope) there, and so does this calculator. A central "
                  f"difference around 0 averages the two sides: {(1 + NEGATIVE_SLOPE) / 2:g}."),
    Activation(
        "gelu", "torch.nn.functional.gelu",
        "gelu(x) = x × Φ(x) = 0.5 × x × (1 + erf(x / √2))", "gelu'(x) = Φ(x) + x × φ(x), φ(x) = e^(-x²/2) / √(2π)",
        lambda x: x * _normal_cdf(x), lambda x: _normal_cdf(x) + x * _normal_pdf(x),
        _gelu_value, _gelu_derivative),
    Activation(
        "softplus", "torch.nn.functional.softplus",
        f"softplus(x) = ln(1 + e^x) (x itself above {SOFTPLUS_THRESHOLD:g}, as torch)",
        f"softplus'(x) = σ(x) (1 above {SOFTPLUS_THRESHOLD:g})",
        _softplus, lambda x: 1.0 if x > SOFTPLUS_THRESHOLD else sigmoid(x),
        _softplus_value, _softplus_derivative),
)}


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (``leaky-relu`` is read as ``leaky_relu``)."""
    key = name.strip().lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ExplainError(f"the activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}. "
                           "Pick one of those names.")
    return ACTIVATIONS[key]


@dataclass(frozen=True)
class DerivativeExplanation:
    """An activation at x: value, analytic derivative, and the central finite difference
    ``(f(x + h) - f(x - h)) / 2h`` next to it (its error is O(h²) where f is smooth)."""

    activation: str
    torch_name: str
    x: float
    formula: str
    value_steps: str
    value: float
    derivative_formula: str
    derivative_steps: str
    derivative: float
    h: float
    f_plus: float
    f_minus: float
    finite_difference: float
    difference: float
    at_kink: bool
    note: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def explain_derivative(name: str, x: float, h: float = 1e-5, digits: int = 4) -> DerivativeExplanation:
    """Value and derivative of activation ``name`` at ``x``, the derivative checked by a central
    difference with step ``h``; the filled-in formulas round to ``digits`` decimals.

    Raises:
        ExplainError: an unknown activation, or ``h`` not a small positive number.
    """
    activation = get_activation(name)
    if not math.isfinite(x):
        raise ExplainError(f"--at takes a finite number; got {x}. Give the point x as an ordinary number (e.g. 2.3).")
    if not (0 < h <= 0.1):
        raise ExplainError(f"--h, the finite-difference step, must be in (0, 0.1]; got {h:g}. "
                           "1e-5 is a good step in float64.")
    f = activation.function
    f_plus, f_minus = f(x + h), f(x - h)
    finite_difference = (f_plus - f_minus) / (2.0 * h)
    derivative = activation.derivative(x)
    at_kink = activation.kink is not None and abs(x - activation.kink) < h
    note = activation.kink_note if at_kink else ""
    return DerivativeExplanation(
        activation.name, activation.torch_name, x, activation.formula, activation.value_steps(x, digits), f(x),
        activation.derivative_formula, activation.derivative_steps(x, digits), derivative, h, f_plus, f_minus,
        finite_difference, abs(derivative - finite_difference), at_kink, note)

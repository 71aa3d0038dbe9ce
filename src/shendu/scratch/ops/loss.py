"""Loss ops: negative log-likelihood, mean squared error, binary cross-entropy.

Each takes `reduction` in {"mean", "sum", "none"} with torch's meaning.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import unbroadcast

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str):
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")


class NLLLoss(Function):
    """loss_i = -w[t_i] * logp[i, t_i], 0 where t_i == ignore_index; "mean" divides by sum of w.

    Shapes: logp (N, C), target (N,) integers in [0, C) -> () or (N,) for reduction="none".
    """

    __slots__ = ("target", "weight", "reduction", "ignore_index", "row_weight", "total", "shape")

    def __init__(self, target: np.ndarray, weight, reduction: str, ignore_index: int):
        self.target, self.weight = target, weight
        self.reduction, self.ignore_index = reduction, ignore_index

    def forward(self, logp):
        n = logp.shape[0]
        valid = self.target != self.ignore_index
        target = np.where(valid, self.target, 0)  # any in-range class; masked out below
        row_weight = valid.astype(logp.dtype)
        if self.weight is not None:
            row_weight = row_weight * self.weight[target]
        self.target, self.row_weight, self.shape = target, row_weight, logp.shape
        losses = -row_weight * logp[np.arange(n), target]
        if self.reduction == "none":
            return losses
        if self.reduction == "sum":
            return losses.sum()
        self.total = row_weight.sum()
        return losses.sum() / self.total

    def backward(self, grad):
        coef = -self.row_weight * grad
        if self.reduction == "mean":
            coef = coef / self.total
        full = np.zeros(self.shape, coef.dtype)
        full[np.arange(self.shape[0]), self.target] = coef
        return (full,)


class MSELoss(Function):
    """loss = (x - t)^2 elementwise, reduced; both x and t may require grad (broadcasting)."""

    __slots__ = ("reduction", "diff", "x_shape", "t_shape")

    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def forward(self, x, target):
        self.x_shape, self.t_shape = x.shape, target.shape
        self.diff = x - target
        return _reduce(self.diff * self.diff, self.reduction)

    def backward(self, grad):
        d = 2 * self.diff * grad
        if self.reduction == "mean":
            d = d / self.diff.size
        gt = unbroadcast(-d, self.t_shape) if self.inputs[1].requires_grad else None
        return unbroadcast(d, self.x_shape), gt


class BCELoss(Function):
    """loss = -w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does.

    Shapes: x and target the same shape, x in [0, 1]; weight broadcasts to it.
    d/dx = w (x - t) / max(x (1 - x), 1e-12); d/dt = -w logit(x).
    """

    __slots__ = ("reduction", "weight", "x", "target")

    def __init__(self, weight, reduction: str = "mean"):
        self.weight, self.reduction = weight, reduction

    def forward(self, x, target):
        self.x, self.target = x, target
        with np.errstate(divide="ignore"):  # log(0) = -inf is clamped to -100 just below
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = -(target * log_x + (1 - target) * log_1mx)
        if self.weight is not None:
            losses = losses * self.weight
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        x = self.x
        if self.weight is not None:
            grad = grad * self.weight
        if self.reduction == "mean":
            grad = grad / x.size
        gx = grad * (x - self.target) / np.maximum(x * (1 - x), 1e-12)
        gt = None
        if self.inputs[1].requires_grad:
            with np.errstate(divide="ignore"):
                gt = grad * (np.log1p(-x) - np.log(x))  # -logit(x), unclamped as in torch
        return gx, gt


def nll_loss(logp: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of integer class targets under log-probabilities.

    Args:
        logp: (N, C) log-probabilities. target: (N,) class indices.
        weight: optional (C,) per-class weights.

    Raises:
        ValueError: batch sizes differ or `reduction` is unknown.
        IndexError: a target (other than ignore_index) is outside [0, C).
    """
    check_reduction(reduction)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logp.ndim != 2:
        raise ValueError(f"nll_loss expects (N, C) input; got shape {logp.shape}")
    if t.shape != logp.shape[:1]:
        raise ValueError(
            f"Expected input batch_size ({logp.shape[0]}) to match target batch_size ({t.shape[0] if t.ndim else t.size})."
        )
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= logp.shape[1]):
        bad = valid.max() if valid.max() >= logp.shape[1] else valid.min()
        raise IndexError(f"Target {bad} is out of bounds: expected classes in [0, {logp.shape[1] - 1}].")
    w = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    return NLLLoss(t, w, reduction, ignore_index)(logp)


def mse_loss(x: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error, as torch.nn.functional.mse_loss."""
    check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=x.dtype))
    return MSELoss(reduction)(x, target)


def binary_cross_entropy(x: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities `x` and targets of the same shape.

    Raises:
        ValueError: target shape differs from x's, or `reduction` is unknown.
        RuntimeError: an element of x is outside [0, 1].
    """
    check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=x.dtype))
    if target.shape != x.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({x.shape}) "
            "is deprecated. Please ensure they have the same size."
        )
    if x.data.size and (x.data.min() < 0 or x.data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    return BCELoss(w, reduction)(x, target)

"""Loss ops: negative log-likelihood, mean squared error, binary cross-entropy.

Each takes `reduction` in {"mean", "sum", "none"} with torch's meaning. Losses on logits
(cross-entropy, binary cross-entropy with logits) are in `loss_logits.py`.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from ..tensor import Function, Tensor
from .elementwise import _check_sub, broadcast_error, cast, unbroadcast
from .promotion import promote_types

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    # np.asarray: numpy reduces to a scalar, but a Tensor holds a 0-d array.
    if reduction == "none":
        return losses
    return np.asarray(losses.sum() if reduction == "sum" else losses.mean())


def check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")


def not_differentiable(function: str, **arguments) -> None:
    """torch refuses class weights that require grad in these losses (no derivative for them)."""
    for name, value in arguments.items():
        if isinstance(value, Tensor) and value.requires_grad and autograd._grad_enabled:
            raise RuntimeError(f"The function '{function}' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True (detach it).")


def _pair(name: str, x: Tensor, target, reduction: str, float_kernel: bool, parameter_check=None) -> tuple:
    """(x, target) in their promoted dtype, with torch's checks in torch's order: the shapes
    broadcast (RuntimeError), the reduction is known (ValueError), `parameter_check()` (beta,
    delta), then the kernel takes the dtype (NotImplementedError for integers in a float-only
    kernel, bool in a subtraction)."""
    target = _target_tensor(x, target)
    try:
        np.broadcast_shapes(x.shape, target.shape)
    except ValueError:
        raise broadcast_error(x.data, target.data) from None
    check_reduction(reduction)
    if parameter_check is not None:
        parameter_check()
    if name == "l1_loss":  # torch's l1_loss subtracts first: no bool operands
        _check_sub(x, target)
    dtype = promote_types(x.dtype, target.dtype)  # torch broadcasts the pair first: no 0-d weak typing
    if float_kernel and dtype.kind != "f":
        raise NotImplementedError(f'"{name}" is not implemented for {dtype} tensors, as in torch; '
                                  f"convert the input and target with .float()")
    if dtype.kind != "f" and reduction == "mean":  # l1_loss: torch's mean() of integers
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {dtype}; convert the input and target with .float()")
    return cast(x, dtype), cast(target, dtype)


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
            return np.asarray(losses.sum())
        self.total = row_weight.sum()
        if not self.total:  # every target ignored: nan, as torch (whose gradient is then 0)
            return np.asarray(np.nan, logp.dtype)
        return np.asarray(losses.sum() / self.total)

    def backward(self, grad):
        coef = -self.row_weight * grad
        if self.reduction == "mean" and self.total:
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


class L1Loss(Function):
    """loss = |x - t| elementwise, reduced; d/dx = sign(x - t) (0 where equal, as torch)."""

    __slots__ = ("reduction", "diff", "x_shape", "t_shape")

    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def forward(self, x, target):
        self.x_shape, self.t_shape = x.shape, target.shape
        self.diff = x - target
        return _reduce(np.abs(self.diff), self.reduction)

    def backward(self, grad):
        d = np.sign(self.diff) * grad
        if self.reduction == "mean":
            d = d / self.diff.size
        gt = unbroadcast(-d, self.t_shape) if self.inputs[1].requires_grad else None
        return unbroadcast(d, self.x_shape), gt


class SmoothL1Loss(Function):
    """loss = scale * (0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta), d = x - t.

    Girshick, "Fast R-CNN", 2015. scale=1 is torch's smooth_l1_loss(beta) (beta=0 is the L1
    loss); scale=delta with beta=delta is huber_loss(delta) = 0.5 d^2 or delta (|d| - 0.5 delta).
    """

    __slots__ = ("reduction", "beta", "scale", "diff", "x_shape", "t_shape")

    def __init__(self, beta: float, scale: float = 1.0, reduction: str = "mean"):
        self.beta, self.scale, self.reduction = beta, scale, reduction

    def forward(self, x, target):
        self.x_shape, self.t_shape = x.shape, target.shape
        self.diff = d = x - target
        size = np.abs(d)
        if self.beta == 0:
            losses = size
        else:
            losses = np.where(size < self.beta, (0.5 / self.beta) * d * d, size - 0.5 * self.beta)
        return _reduce(losses if self.scale == 1 else self.scale * losses, self.reduction)

    def backward(self, grad):
        d = self.diff
        slope = np.sign(d) if self.beta == 0 else np.where(np.abs(d) < self.beta, d / self.beta, np.sign(d))
        g = slope * (grad if self.scale == 1 else grad * self.scale)
        if self.reduction == "mean":
            g = g / d.size
        gt = unbroadcast(-g, self.t_shape) if self.inputs[1].requires_grad else None
        return unbroadcast(g, self.x_shape), gt


def _check_nll_target(logp: Tensor, t: np.ndarray) -> None:
    """torch's checks, in torch's order: batch size, target rank and shape, then dtype."""
    if logp.ndim > 1 and (t.ndim == 0 or t.shape[0] != logp.shape[0]):
        raise ValueError(
            f"Expected input batch_size ({logp.shape[0]}) to match target batch_size ({t.shape[0] if t.ndim else t.size})."
        )
    if logp.ndim <= 2 and t.ndim > 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported; got target of shape "
                           f"{list(t.shape)} for input of shape {list(logp.shape)}")
    expected = logp.shape[:1] + logp.shape[2:]
    if logp.ndim > 2 and t.shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {t.dtype}: class-index targets are "
            f"integers (pass probability targets to cross_entropy with the input's shape {tuple(logp.shape)})"
        )
    if logp.ndim == 1 and t.ndim == 1 and t.size != 1:  # after the dtype check, as torch
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.size} (an unbatched "
                         f"(C,) input takes a 0-d or one-element target)")


def nll_loss(logp: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of integer class targets under log-probabilities.

    Args:
        logp: (N, C) log-probabilities, unbatched (C,), or (N, C, d1, ...).
        target: class indices (N,), () or (N, d1, ...).
        weight: optional (C,) per-class weights.

    Returns:
        a scalar, or with reduction="none" the per-element losses shaped like target.

    Raises:
        ValueError: batch sizes differ or `reduction` is unknown.
        RuntimeError: target is not integer, or its shape does not fit logp's.
        IndexError: a target (other than ignore_index) is outside [0, C).
    """
    check_reduction(reduction)
    not_differentiable("nll_loss_forward", weight=weight)
    if logp.data.dtype.kind != "f":
        raise NotImplementedError(f'"nll_loss" is not implemented for {logp.data.dtype} inputs, as in torch; '
                                  f"pass float log-probabilities")
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logp.ndim == 0:
        raise ValueError(f"nll_loss expects (N, C), (C,) or (N, C, d1, ...) input; got shape {logp.shape}")
    _check_nll_target(logp, t)
    classes = logp.shape[0] if logp.ndim == 1 else logp.shape[1]
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        bad = valid.max() if valid.max() >= classes else valid.min()
        raise IndexError(f"Target {bad} is out of bounds: expected classes in [0, {classes - 1}].")
    w = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight, logp.dtype)
    if w is not None and w.shape != (classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(w.shape)}")
    if logp.ndim == 2:
        return NLLLoss(t, w, reduction, ignore_index)(logp)
    if logp.ndim == 1:  # unbatched: (C,) with a 0-d (or one-element) target
        loss = NLLLoss(t.reshape(1), w, reduction, ignore_index)(logp.reshape(1, -1))  # (1, C)
        return loss.reshape(()) if reduction == "none" else loss  # (1,) -> ()
    dims = (0,) + tuple(range(2, logp.ndim)) + (1,)
    flat = logp.permute(*dims).reshape(-1, classes)  # (N, C, d1, ...) -> (N * d1 * ..., C)
    loss = NLLLoss(t.reshape(-1), w, reduction, ignore_index)(flat)
    return loss.reshape(t.shape) if reduction == "none" else loss  # (N, d1, ...)


def mse_loss(x: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error, as torch.nn.functional.mse_loss (target broadcasts like torch's).

    Raises:
        NotImplementedError: integer or bool operands (torch's kernel is float-only).
        RuntimeError: shapes that do not broadcast.
    """
    return MSELoss(reduction)(*_pair("mse_cpu", x, target, reduction, float_kernel=True))


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
    not_differentiable("binary_cross_entropy", weight=weight)
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"binary_cross_entropy" is not implemented for {x.dtype} inputs, as in torch; '
                                  f"pass float probabilities")
    if target.dtype != x.dtype:
        raise RuntimeError(f"binary_cross_entropy: Found dtype {target.dtype} but expected {x.dtype}; cast the "
                           f"target with .to(input.dtype)")
    if x.data.size and (x.data.min() < 0 or x.data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w is not None:
        try:
            np.broadcast_to(w, x.shape)
        except ValueError:
            raise RuntimeError(f"binary_cross_entropy: weight of shape {list(w.shape)} does not broadcast to the "
                               f"input's shape {list(x.shape)}") from None
    return BCELoss(w, reduction)(x, target)


def _target_tensor(x: Tensor, target) -> Tensor:
    return target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=x.dtype))


def l1_loss(x: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean absolute error, as torch.nn.functional.l1_loss (target broadcasts like torch's)."""
    return L1Loss(reduction)(*_pair("l1_loss", x, target, reduction, float_kernel=False))


def smooth_l1_loss(x: Tensor, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic below `beta`, linear above, as torch.nn.functional.smooth_l1_loss.

    Raises:
        RuntimeError: beta < 0.
    """
    def check_beta():
        if beta < 0:
            raise RuntimeError(f"smooth_l1_loss does not support negative values for beta; got beta={beta}")

    pair = _pair("smooth_l1_cpu", x, target, reduction, float_kernel=True, parameter_check=check_beta)
    return SmoothL1Loss(beta, 1.0, reduction)(*pair)


def huber_loss(x: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss 0.5 d^2 (|d| < delta) or delta (|d| - 0.5 delta), as torch's huber_loss.

    Huber, "Robust Estimation of a Location Parameter", 1964.

    Raises:
        RuntimeError: delta <= 0.
    """
    def check_delta():
        if delta <= 0:
            raise RuntimeError(f"huber_loss does not support non-positive values for delta; got delta={delta}")

    pair = _pair("huber_cpu", x, target, reduction, float_kernel=True, parameter_check=check_delta)
    return SmoothL1Loss(delta, delta, reduction)(*pair)

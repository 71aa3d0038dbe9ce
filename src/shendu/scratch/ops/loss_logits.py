"""Losses on scores and log-probabilities: cross-entropy, BCE with logits, KL divergence.

`cross_entropy` follows torch's `cross_entropy_loss` (aten/src/ATen/native/LossNLL.cpp):
class-index targets go through log_softmax + nll_loss, with label smoothing mixed in as
(1 - eps) * nll + eps / C * smooth; targets shaped like the input are class probabilities.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .activation import log_softmax
from .elementwise import broadcast_error, unbroadcast
from .loss import _reduce, check_reduction, nll_loss, not_differentiable


class BCEWithLogitsLoss(Function):
    """loss = w ((1 - t) x + (1 + (pw - 1) t) softplus(-x)), i.e. BCE on sigmoid(x), computed stably.

    Shapes: x and target the same shape; weight broadcasts to it; pos_weight broadcasts along
    the last (class) dim. d/dx = w ((1 + (pw - 1) t) sigmoid(x) - pw t);
    d/dt = w (-x + (pw - 1) softplus(-x)). weight and pos_weight are constants.
    """

    __slots__ = ("reduction", "weight", "pos_weight", "x", "target", "softplus_neg")

    def __init__(self, weight, pos_weight, reduction: str):
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction

    def forward(self, x, target):
        self.x, self.target = x, target
        self.softplus_neg = np.logaddexp(0, -x)  # log(1 + e^-x) without overflow
        log_weight = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * target
        losses = (1 - target) * x + log_weight * self.softplus_neg
        if self.weight is not None:
            losses = losses * self.weight
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        x, t, pw = self.x, self.target, self.pos_weight
        if self.weight is not None:
            grad = grad * self.weight
        if self.reduction == "mean":
            grad = grad / x.size
        sig = np.exp(-np.logaddexp(0, -x))  # sigmoid(x)
        gx = grad * (sig - t if pw is None else (1 + (pw - 1) * t) * sig - pw * t)
        gt = None
        if self.inputs[1].requires_grad:
            gt = grad * (-x if pw is None else -x + (pw - 1) * self.softplus_neg)
        return gx, gt


def _constant(value, like: Tensor, name: str):
    """A weight argument as an array of x's dtype that broadcasts to x's shape, or None."""
    if value is None:
        return None
    array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=like.dtype)
    try:
        np.broadcast_to(array, like.shape)
    except ValueError:
        raise RuntimeError(
            f"{name} of shape {list(array.shape)} does not broadcast to the input's shape {list(like.shape)}"
        ) from None
    return array


def binary_cross_entropy_with_logits(x: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable op, as torch's binary_cross_entropy_with_logits.

    Args:
        x: logits of any shape. target: probabilities of x's shape (a Tensor may require grad).
        weight: rescales each element's loss; broadcasts to x.
        pos_weight: weight of the positive term, per class (broadcasts along the last dim).

    Raises:
        ValueError: target's shape differs from x's, or `reduction` is unknown.
        RuntimeError: weight or pos_weight does not broadcast to x.
    """
    check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=x.dtype))
    if target.shape != x.shape:
        raise ValueError(f"Target size ({list(target.shape)}) must be the same as input size ({list(x.shape)})")
    not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"binary_cross_entropy_with_logits" is not implemented for {x.dtype} logits, as '
                                  f"in torch; pass float logits")
    if target.dtype == np.bool_:
        raise NotImplementedError("binary_cross_entropy_with_logits computes 1 - target, which torch does not "
                                  "support for a bool target; convert it with target.float()")
    if target.dtype.kind != "f":
        raise RuntimeError(f"binary_cross_entropy_with_logits needs a floating-point target; got {target.dtype} "
                           f"(convert it with target.float())")
    op = BCEWithLogitsLoss(_constant(weight, x, "weight"), _constant(pos_weight, x, "pos_weight"), reduction)
    return op(x, target)


def _smoothing_term(logp: Tensor, t: np.ndarray, w, ignore_index: int, reduction: str, class_dim: int,
                    scale: float) -> Tensor:
    """scale * torch's smooth_loss: -sum_c w_c logp_c per element, 0 where ignored, reduced like nll_loss.

    The scale and sign are folded into one multiplication per path (one op, not three).
    """
    if w is not None:
        w = np.asarray(w.data if isinstance(w, Tensor) else w, logp.dtype)
        logp = logp * Tensor(w.reshape((-1,) + (1,) * (logp.ndim - class_dim - 1)))  # (C, 1, ...)
    ignored = t == ignore_index
    keep = (~ignored).astype(logp.dtype)
    if reduction == "none":
        return logp.sum(class_dim) * Tensor(keep * -scale)  # target's shape
    total = (logp.sum(class_dim) * Tensor(keep)).sum() if ignored.any() else logp.sum()
    if reduction == "sum":
        return total * -scale
    count = w[t[~ignored]].sum() if w is not None else (~ignored).sum()
    if not count:  # everything ignored: nan with a zero gradient, as torch
        return total * 0.0 + float("nan")
    return total * (-scale / count)


def _probability_targets(logits: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                         label_smoothing: float, class_dim: int) -> Tensor:
    """Cross-entropy against class probabilities shaped like the logits."""
    if target.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got {target.dtype}")
    if ignore_index >= 0:
        raise RuntimeError(f"ignore_index is not supported for floating point target; got ignore_index={ignore_index}")
    classes = logits.shape[class_dim]
    logp = log_softmax(logits, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = logp * target
    if weight is not None:  # a weight tensor stays in the graph: torch differentiates it here
        w = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight, logits.dtype))
        terms = terms * w.reshape((-1,) + (1,) * (logits.ndim - class_dim - 1))  # (C, 1, ...)
    if reduction == "none":
        return terms.sum(class_dim) * -1.0
    if reduction == "sum":
        return terms.sum() * -1.0
    count = logits.data.size // classes
    if not count:  # empty batch: nan, as torch
        return terms.sum() * 0.0 + float("nan")
    return terms.sum() * (-1.0 / count)


def cross_entropy(logits: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits against class indices or class probabilities, as torch's F.cross_entropy.

    Args:
        logits: (N, C), unbatched (C,), or (N, C, d1, ...) unnormalized scores.
        target: class indices (N,) / () / (N, d1, ...), or probabilities of the logits' shape
            (any float dtype; a Tensor target may require grad).
        weight: optional (C,) class weights.
        ignore_index: a class index whose elements count for nothing (index targets only).
        label_smoothing: eps in [0, 1]; the target becomes (1 - eps) target + eps / C
            (Szegedy et al., "Rethinking the Inception Architecture", 2016).

    Raises:
        ValueError: unknown reduction, or batch sizes differ.
        RuntimeError: float targets not shaped like the logits, integer targets shaped like them,
            ignore_index >= 0 with probabilities, a weight not of shape (C,), label_smoothing > 1.
        IndexError: a class index (other than ignore_index) outside [0, C).
    """
    check_reduction(reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if logits.ndim == 1 else 1
    if logits.ndim == 0:
        raise RuntimeError("cross_entropy expects (N, C), (C,) or (N, C, d1, ...) logits; got a 0-d tensor")
    classes = logits.shape[class_dim]
    if weight is not None and tuple(weight.shape if hasattr(weight, "shape") else np.shape(weight)) != (classes,):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {classes} classes or "
                           f"no classes but got weight tensor of shape: {list(np.shape(getattr(weight, 'data', weight)))}")
    if isinstance(target, Tensor) and target.shape == logits.shape:
        return _probability_targets(logits, target, weight, ignore_index, reduction, label_smoothing, class_dim)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.shape == logits.shape:
        t = Tensor(t.astype(logits.dtype) if t.dtype.kind == "f" else t)
        return _probability_targets(logits, t, weight, ignore_index, reduction, label_smoothing, class_dim)
    logp = log_softmax(logits, class_dim)
    loss = nll_loss(logp, t, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return loss
    smooth = _smoothing_term(logp, t, weight, ignore_index, reduction, class_dim, label_smoothing / classes)
    return loss * (1 - label_smoothing) + smooth


class KLDivLoss(Function):
    """loss = t (log t - x), 0 where t = 0; with log_target, e^t (t - x). x holds log-probabilities.

    Kullback & Leibler, "On Information and Sufficiency", 1951. d/dx = -t (or -e^t);
    d/dt = log t + 1 - x (nan at t = 0, as torch; or e^t (t - x + 1)). reduction "batchmean"
    divides the sum by N.
    """

    __slots__ = ("reduction", "log_target", "x", "target", "x_shape", "t_shape", "divisor", "shape")

    def __init__(self, reduction: str, log_target: bool):
        self.reduction, self.log_target = reduction, log_target

    def forward(self, x, target):
        self.x, self.target, self.x_shape, self.t_shape = x, target, x.shape, target.shape
        try:
            self.shape = np.broadcast_shapes(x.shape, target.shape)
        except ValueError:
            raise broadcast_error(x, target) from None
        if self.log_target:
            losses = np.exp(target) * (target - x)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                losses = np.where(target == 0, 0, target * np.log(target)) - target * x
        self.divisor = 1
        if self.reduction == "none":
            return losses
        if self.reduction in ("mean", "batchmean"):
            self.divisor = losses.size if self.reduction == "mean" else (x.shape[0] if x.ndim else 1)  # torch: input's N
        return np.asarray(losses.sum() / self.divisor)

    def backward(self, grad):
        x, t = self.x, self.target
        grad = grad / self.divisor
        weight = np.exp(t) if self.log_target else t
        gx = unbroadcast(np.broadcast_to(-weight * grad, self.shape), self.x_shape) \
            if self.inputs[0].requires_grad else None
        gt = None
        if self.inputs[1].requires_grad:
            if self.log_target:
                gt = weight * (t - x + 1) * grad
            else:
                with np.errstate(divide="ignore", invalid="ignore"):  # torch: nan where t == 0
                    gt = np.where(t > 0, np.log(np.where(t > 0, t, 1)) + 1 - x, np.nan) * grad
            gt = unbroadcast(gt, self.t_shape)
        return gx, gt


def kl_div(x: Tensor, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence of `target` from the distribution whose log-probabilities are `x`, as torch's F.kl_div.

    Args:
        x: log-probabilities. target: probabilities (log-probabilities if log_target), x's shape.
        reduction: "batchmean" (sum / batch size: the true KL divergence), "sum", "mean" (over
            every element, torch's default), or "none".

    Raises:
        ValueError: an unknown reduction.
    """
    if reduction != "batchmean":
        check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=x.dtype))
    if x.dtype.kind != "f" or target.dtype.kind != "f":
        raise RuntimeError(f"kl_div: Integral inputs not supported; got {x.dtype} and {target.dtype} (convert with "
                           f".float())")
    return KLDivLoss(reduction, log_target)(x, target)

"""`torch.nn.functional` for the scratch engine: every op's function form, plus composites.

Composites here are built from primitive ops (dropout = x * mask, cross_entropy =
log_softmax + nll_loss), so they need no backward of their own.
"""

from __future__ import annotations

import numpy as np

from . import rng
from .ops.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .ops.conv import avg_pool2d, conv2d, max_pool2d
from .ops.elementwise import Mul
from .ops.index import embedding as _embedding
from .ops.loss import binary_cross_entropy, check_reduction, mse_loss, nll_loss
from .ops.matmul import linear
from .ops.norm import batch_norm_eval, batch_norm_train, layer_norm
from .ops.shape import flatten
from .tensor import Tensor

__all__ = [
    "avg_pool2d", "batch_norm", "binary_cross_entropy", "conv2d", "cross_entropy", "dropout",
    "embedding", "flatten", "gelu", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh",
]


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout).

    Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", 2014.

    Raises:
        ValueError: p outside [0, 1].
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        mask = np.zeros(x.shape, x.dtype)
    else:
        keep = rng.default_generator().random(x.shape, dtype=x.dtype) >= p
        mask = keep * x.dtype.type(1.0 / (1.0 - p))  # (same shape as x)
    return Mul()(x, Tensor(mask))


def embedding(indices, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) for integer `indices` (*) -> (*, dim)."""
    return _embedding(indices, weight, padding_idx)


def cross_entropy(
    logits: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Cross-entropy of logits against class indices (or class probabilities).

    Args:
        logits: (N, C), (C,), or (N, C, d1, ...) unnormalized scores.
        target: class indices (N,) / () / (N, d1, ...), or probabilities shaped like logits.
        weight: optional (C,) class weights.

    Raises:
        ValueError / IndexError: as `nll_loss` (batch mismatch, target out of range).
    """
    check_reduction(reduction)
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if logits.ndim == 1:  # unbatched: (C,) with a scalar target
        logits, t = logits.reshape(1, -1), t.reshape(1, *t.shape[1:]) if t.ndim else t.reshape(1)  # (1, C), (1,)
        loss = cross_entropy(logits, t, weight, ignore_index, reduction)
        return loss.reshape(()) if reduction == "none" else loss  # (1,) -> ()
    logp = log_softmax(logits, 1)
    if t.dtype.kind == "f":  # probability targets, same shape as logits
        terms = logp * t
        if weight is not None:
            w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
            terms = terms * Tensor(w.reshape((1, -1) + (1,) * (logits.ndim - 2)))  # (1, C, 1, ...)
        losses = -terms.sum(1)
        if reduction == "none":
            return losses
        return losses.sum() if reduction == "sum" else losses.sum() / (logits.data.size // logits.shape[1])
    if logits.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        n, c, rest = logits.shape[0], logits.shape[1], logits.shape[2:]
        dims = (0,) + tuple(range(2, logits.ndim)) + (1,)
        logp = logp.permute(*dims).reshape(-1, c)  # (N * prod(rest), C)
        loss = nll_loss(logp, t.data.reshape(-1), weight, ignore_index, reduction)  # target (N * prod(rest),)
        return loss.reshape(n, *rest) if reduction == "none" else loss  # (N, d1, ...)
    return nll_loss(logp, t, weight, ignore_index, reduction)


def batch_norm(
    x: Tensor,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch norm over (N, C, *); in training, also update the running stats in place.

    Running stats follow torch exactly: mean <- (1 - m) mean + m batch_mean and
    var <- (1 - m) var + m batch_var * n / (n - 1) (the unbiased batch variance).
    """
    if training:
        y, mean, var = batch_norm_train(x, weight, bias, eps)
        if running_mean is not None:
            count = x.data.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += momentum * mean.astype(running_mean.dtype)
            running_var *= 1 - momentum
            running_var += momentum * (var * (count / max(count - 1, 1))).astype(running_var.dtype)
        return y
    return batch_norm_eval(x, running_mean, running_var, weight, bias, eps)

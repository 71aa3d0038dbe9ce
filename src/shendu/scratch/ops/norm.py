"""Normalization ops with hand-derived backward passes: batch norm (train/eval) and layer norm.

Written as single ops rather than composites: a composite layer norm is nine ops and nine
saved arrays, this is one op and the textbook backward
dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor


def _channel_axes(ndim: int) -> tuple:
    """Axes a batch norm reduces over: all but the channel dim 1."""
    return (0,) + tuple(range(2, ndim))


def _channel_shape(ndim: int) -> tuple:
    """(1, C, 1, ...) broadcast shape for a per-channel (C,) vector."""
    return (1, -1) + (1,) * (ndim - 2)


def _normalized_backward(dxhat, xhat, inv_std, axes):
    """dL/dx given dL/dxhat, where xhat = (x - mean(x)) * inv_std over `axes`."""
    return inv_std * (
        dxhat - dxhat.mean(axis=axes, keepdims=True) - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
    )


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's per-channel statistics.

    Ioffe & Szegedy, "Batch Normalization", 2015. Shapes: x (N, C, *), weight and bias (C,).
    After forward, `self.mean` and `self.var` (biased) hold the batch statistics, shape (C,).
    """

    __slots__ = ("eps", "xhat", "inv_std", "weight", "mean", "var")

    def __init__(self, eps: float):
        self.eps = eps

    def forward(self, x, weight=None, bias=None):
        axes, shape = _channel_axes(x.ndim), _channel_shape(x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = centered * self.inv_std
        self.weight, self.mean, self.var = weight, mean.reshape(-1), var.reshape(-1)  # (C,) each
        out = self.xhat if weight is None else self.xhat * weight.reshape(shape)  # (C,) -> (1, C, 1, ...)
        return out if bias is None else out + bias.reshape(shape)  # (C,) -> (1, C, 1, ...)

    def backward(self, grad):
        axes, shape = _channel_axes(grad.ndim), _channel_shape(grad.ndim)
        gx = None
        if self.inputs[0].requires_grad:
            dxhat = grad if self.weight is None else grad * self.weight.reshape(shape)  # (1, C, 1, ...)
            gx = _normalized_backward(dxhat, self.xhat, self.inv_std, axes)
        if len(self.inputs) == 1:
            return (gx,)
        gw = (grad * self.xhat).sum(axis=axes) if self.inputs[1].requires_grad else None
        gb = grad.sum(axis=axes) if self.inputs[2].requires_grad else None
        return gx, gw, gb


class BatchNormEval(Function):
    """y = (x - running_mean) / sqrt(running_var + eps) * weight + bias (fixed statistics).

    Shapes: x (N, C, *), running stats, weight and bias (C,).
    """

    __slots__ = ("running_mean", "inv_std", "eps", "xhat", "weight")

    def __init__(self, running_mean: np.ndarray, running_var: np.ndarray, eps: float):
        self.running_mean = running_mean
        self.inv_std = 1 / np.sqrt(running_var + eps)

    def forward(self, x, weight=None, bias=None):
        shape = _channel_shape(x.ndim)
        self.xhat = (x - self.running_mean.reshape(shape)) * self.inv_std.reshape(shape)  # (1, C, 1, ...)
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * weight.reshape(shape)  # (C,) -> (1, C, 1, ...)
        return out if bias is None else out + bias.reshape(shape)  # (C,) -> (1, C, 1, ...)

    def backward(self, grad):
        axes, shape = _channel_axes(grad.ndim), _channel_shape(grad.ndim)
        scale = self.inv_std if self.weight is None else self.inv_std * self.weight
        gx = grad * scale.reshape(shape) if self.inputs[0].requires_grad else None  # (1, C, 1, ...)
        if len(self.inputs) == 1:
            return (gx,)
        gw = (grad * self.xhat).sum(axis=axes) if self.inputs[1].requires_grad else None
        gb = grad.sum(axis=axes) if self.inputs[2].requires_grad else None
        return gx, gw, gb


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last k dims.

    Ba, Kiros & Hinton, "Layer Normalization", 2016. Shapes: x (*, *normalized_shape),
    weight and bias normalized_shape (k dims).
    """

    __slots__ = ("k", "eps", "xhat", "inv_std", "weight")

    def __init__(self, k: int, eps: float):
        self.k, self.eps = k, eps

    def forward(self, x, weight=None, bias=None):
        axes = tuple(range(x.ndim - self.k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = centered * self.inv_std
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * weight
        return out if bias is None else out + bias

    def backward(self, grad):
        axes = tuple(range(grad.ndim - self.k, grad.ndim))
        lead = tuple(range(grad.ndim - self.k))
        gx = None
        if self.inputs[0].requires_grad:
            dxhat = grad if self.weight is None else grad * self.weight
            gx = _normalized_backward(dxhat, self.xhat, self.inv_std, axes)
        if len(self.inputs) == 1:
            return (gx,)
        gw = (grad * self.xhat).sum(axis=lead) if self.inputs[1].requires_grad else None
        gb = grad.sum(axis=lead) if len(self.inputs) > 2 and self.inputs[2].requires_grad else None
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


def batch_norm_train(x: Tensor, weight, bias, eps: float) -> tuple:
    """Normalize with batch statistics; return (y, batch_mean, batch_var_biased) as (y, arrays)."""
    op = BatchNormTrain(eps)
    y = op(*[t for t in (x, weight, bias) if t is not None])
    return y, op.mean, op.var


def batch_norm_eval(x: Tensor, running_mean, running_var, weight, bias, eps: float) -> Tensor:
    """Normalize with fixed running statistics (numpy arrays of shape (C,))."""
    return BatchNormEval(running_mean, running_var, eps)(*[t for t in (x, weight, bias) if t is not None])


def layer_norm(x: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Layer norm over the trailing dims `normalized_shape`, as torch.nn.functional.layer_norm.

    Raises:
        RuntimeError: x's trailing dims differ from normalized_shape.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape) :]) != shape or x.ndim < len(shape):
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    return LayerNorm(len(shape), eps)(*[t for t in (x, weight, bias) if t is not None])

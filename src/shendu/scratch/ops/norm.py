"""Normalization ops with hand-derived backward passes: batch, layer, group and RMS norm.

Written as single ops rather than composites: a composite layer norm is nine ops and nine
saved arrays, this is one op and the textbook backward
dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).

Each op takes x and then whichever of weight and bias are given; `has_weight`/`has_bias`
say which, so a bias without a weight is never taken for the weight.
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


def _present(x: Tensor, weight, bias) -> tuple:
    """The op's inputs: x, then weight and bias where given."""
    return tuple(t for t in (x, weight, bias) if t is not None)


class _Affine(Function):
    """Shared by the norms: out = xhat * weight + bias, weight and bias each optional.

    Subclasses call `_params` in forward, store `self.xhat`, and build the output with
    `_scale_shift`; backward gets the parameter gradients from `_grads`.
    """

    __slots__ = ("has_weight", "has_bias", "weight", "xhat")

    def __init__(self, has_weight: bool, has_bias: bool):
        self.has_weight, self.has_bias = has_weight, has_bias

    def _params(self, params: tuple) -> tuple:
        """(weight, bias) from the arrays that follow x; None for the absent ones."""
        self.weight = params[0] if self.has_weight else None
        return self.weight, (params[-1] if self.has_bias else None)

    @staticmethod
    def _scale_shift(xhat, weight, bias, shape):
        out = xhat if weight is None else xhat * weight.reshape(shape)
        return out if bias is None else out + bias.reshape(shape)

    def _dxhat(self, grad, shape):
        return grad if self.weight is None else grad * self.weight.reshape(shape)

    def _grads(self, gx, grad, sum_axes) -> tuple:
        """(gx, then g_weight and g_bias where those inputs exist), in input order."""
        grads = [gx]
        if self.has_weight:
            grads.append((grad * self.xhat).sum(axis=sum_axes) if self.inputs[1].requires_grad else None)
        if self.has_bias:
            grads.append(grad.sum(axis=sum_axes) if self.inputs[-1].requires_grad else None)
        return tuple(grads)


class BatchNormTrain(_Affine):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's per-channel statistics.

    Ioffe & Szegedy, "Batch Normalization", 2015. Shapes: x (N, C, *), weight and bias (C,).
    After forward, `self.mean` and `self.var` (biased) hold the batch statistics, shape (C,).
    """

    __slots__ = ("eps", "inv_std", "mean", "var")

    def __init__(self, eps: float, has_weight: bool, has_bias: bool):
        super().__init__(has_weight, has_bias)
        self.eps = eps

    def forward(self, x, *params):
        weight, bias = self._params(params)
        axes, shape = _channel_axes(x.ndim), _channel_shape(x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = centered * self.inv_std
        self.mean, self.var = mean.reshape(-1), var.reshape(-1)  # (C,) each
        return self._scale_shift(self.xhat, weight, bias, shape)  # (C,) -> (1, C, 1, ...)

    def backward(self, grad):
        axes, shape = _channel_axes(grad.ndim), _channel_shape(grad.ndim)
        gx = None
        if self.inputs[0].requires_grad:
            gx = _normalized_backward(self._dxhat(grad, shape), self.xhat, self.inv_std, axes)
        return self._grads(gx, grad, axes)


class BatchNormEval(_Affine):
    """y = (x - running_mean) / sqrt(running_var + eps) * weight + bias (fixed statistics).

    Shapes: x (N, C, *), running stats, weight and bias (C,).
    """

    __slots__ = ("running_mean", "inv_std")

    def __init__(self, running_mean: np.ndarray, running_var: np.ndarray, eps: float,
                 has_weight: bool, has_bias: bool):
        super().__init__(has_weight, has_bias)
        self.running_mean = running_mean
        self.inv_std = 1 / np.sqrt(running_var + eps)

    def forward(self, x, *params):
        weight, bias = self._params(params)
        shape = _channel_shape(x.ndim)
        self.xhat = (x - self.running_mean.reshape(shape)) * self.inv_std.reshape(shape)  # (1, C, 1, ...)
        return self._scale_shift(self.xhat, weight, bias, shape)

    def backward(self, grad):
        axes, shape = _channel_axes(grad.ndim), _channel_shape(grad.ndim)
        scale = self.inv_std if self.weight is None else self.inv_std * self.weight
        gx = grad * scale.reshape(shape) if self.inputs[0].requires_grad else None  # (1, C, 1, ...)
        return self._grads(gx, grad, axes)


class LayerNorm(_Affine):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last k dims.

    Ba, Kiros & Hinton, "Layer Normalization", 2016. Shapes: x (*, *normalized_shape),
    weight and bias normalized_shape (k dims).
    """

    __slots__ = ("k", "eps", "inv_std")

    def __init__(self, k: int, eps: float, has_weight: bool, has_bias: bool):
        super().__init__(has_weight, has_bias)
        self.k, self.eps = k, eps

    def forward(self, x, *params):
        weight, bias = self._params(params)
        axes = tuple(range(x.ndim - self.k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = centered * self.inv_std
        return self._scale_shift(self.xhat, weight, bias, self.xhat.shape[x.ndim - self.k :])

    def backward(self, grad):
        axes = tuple(range(grad.ndim - self.k, grad.ndim))
        gx = None
        if self.inputs[0].requires_grad:
            gx = _normalized_backward(self._dxhat(grad, grad.shape[grad.ndim - self.k :]), self.xhat,
                                      self.inv_std, axes)
        return self._grads(gx, grad, tuple(range(grad.ndim - self.k)))


class GroupNorm(_Affine):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per sample and channel group.

    Wu & He, "Group Normalization", 2018. Shapes: x (N, C, *) with C divisible by
    num_groups; weight and bias (C,), per channel.
    """

    __slots__ = ("num_groups", "eps", "inv_std")

    def __init__(self, num_groups: int, eps: float, has_weight: bool, has_bias: bool):
        super().__init__(has_weight, has_bias)
        self.num_groups, self.eps = num_groups, eps

    def forward(self, x, *params):
        weight, bias = self._params(params)
        xg = x.reshape(x.shape[0], self.num_groups, -1)  # (N, G, C/G * prod(*))
        mean = xg.mean(axis=2, keepdims=True)
        centered = xg - mean
        self.inv_std = 1 / np.sqrt((centered * centered).mean(axis=2, keepdims=True) + self.eps)  # (N, G, 1)
        self.xhat = (centered * self.inv_std).reshape(x.shape)  # (N, C, *)
        return self._scale_shift(self.xhat, weight, bias, _channel_shape(x.ndim))

    def backward(self, grad):
        n, shape = grad.shape[0], _channel_shape(grad.ndim)
        gx = None
        if self.inputs[0].requires_grad:
            dxhat = self._dxhat(grad, shape).reshape(n, self.num_groups, -1)  # (N, G, C/G * prod(*))
            xhat = self.xhat.reshape(n, self.num_groups, -1)  # (N, G, C/G * prod(*))
            gx = _normalized_backward(dxhat, xhat, self.inv_std, (2,)).reshape(grad.shape)  # (N, C, *)
        return self._grads(gx, grad, _channel_axes(grad.ndim))


class RMSNorm(_Affine):
    """y = x / sqrt(mean(x^2) + eps) * weight, the mean over the last k dims (no centering).

    Zhang & Sennrich, "Root Mean Square Layer Normalization", 2019. Shapes: x
    (*, *normalized_shape), weight normalized_shape. Backward: with r = 1/sqrt(mean(x^2)+eps)
    and xhat = x r, dx = r (dxhat - xhat mean(dxhat xhat)).
    """

    __slots__ = ("k", "eps", "inv_rms")

    def __init__(self, k: int, eps: float, has_weight: bool):
        super().__init__(has_weight, False)
        self.k, self.eps = k, eps

    def forward(self, x, *params):
        weight, _ = self._params(params)
        axes = tuple(range(x.ndim - self.k, x.ndim))
        self.inv_rms = 1 / np.sqrt((x * x).mean(axis=axes, keepdims=True) + self.eps)
        self.xhat = x * self.inv_rms
        return self._scale_shift(self.xhat, weight, None, self.xhat.shape[x.ndim - self.k :])

    def backward(self, grad):
        axes = tuple(range(grad.ndim - self.k, grad.ndim))
        gx = None
        if self.inputs[0].requires_grad:
            dxhat = self._dxhat(grad, grad.shape[grad.ndim - self.k :])
            gx = self.inv_rms * (dxhat - self.xhat * (dxhat * self.xhat).mean(axis=axes, keepdims=True))
        return self._grads(gx, grad, tuple(range(grad.ndim - self.k)))


def batch_norm_train(x: Tensor, weight, bias, eps: float) -> tuple:
    """Normalize with batch statistics; return (y, batch_mean, batch_var_biased) as (y, arrays)."""
    op = BatchNormTrain(eps, weight is not None, bias is not None)
    y = op(*_present(x, weight, bias))
    return y, op.mean, op.var


def batch_norm_eval(x: Tensor, running_mean, running_var, weight, bias, eps: float) -> Tensor:
    """Normalize with fixed running statistics (numpy arrays of shape (C,))."""
    op = BatchNormEval(running_mean, running_var, eps, weight is not None, bias is not None)
    return op(*_present(x, weight, bias))


def _float_input(name: str, x: Tensor) -> None:
    if x.data.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" is not implemented for {x.data.dtype} inputs, as in torch; convert with '
                                  f".float() first")


def check_batch_norm(x: Tensor, running_mean, running_var, weight, bias) -> None:
    """torch's checks of F.batch_norm's arguments: a float input, statistics and affine
    parameters with one entry per channel."""
    if x.data.dtype.kind != "f":
        raise NotImplementedError(f'"batch_norm" is not implemented for {x.data.dtype} inputs, as in torch; '
                                  f"convert with .float() first")
    channels = x.shape[1] if x.ndim > 1 else 1
    for name, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if value is not None and np.size(value.data if isinstance(value, Tensor) else value) != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not "
                               f"{np.size(value.data if isinstance(value, Tensor) else value)}")


def _normalized_shape(x: Tensor, normalized_shape) -> tuple:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    return shape


def _check_param(name: str, param, shape: tuple) -> None:
    if param is not None and tuple(param.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                           f"shape {list(param.shape)} and normalized_shape = {list(shape)}")


def layer_norm(x: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Layer norm over the trailing dims `normalized_shape`, as torch.nn.functional.layer_norm.

    Raises:
        RuntimeError: x's trailing dims, or weight's or bias's shape, differ from normalized_shape.
    """
    shape = _normalized_shape(x, normalized_shape)
    _check_param("weight", weight, shape)
    _check_param("bias", bias, shape)
    _float_input("LayerNormKernelImpl", x)
    op = LayerNorm(len(shape), eps, weight is not None, bias is not None)
    return op(*_present(x, weight, bias))


def group_norm(x: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Group norm of x (N, C, *) over groups of C // num_groups channels, as torch's F.group_norm.

    Raises:
        RuntimeError: x has fewer than 2 dims, C is not divisible by num_groups, or no spatial elements.
        ValueError: one value per group (torch's batch-size check).
    """
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    spatial = int(np.prod(x.shape[2:]))
    if num_groups > 0 and x.shape[0] * (x.shape[1] // num_groups) * spatial == 1:  # torch's _verify_batch_size
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)} "
                         f"with num_groups={num_groups}")
    if num_groups <= 0 or x.shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {list(x.shape)} and num_groups={num_groups}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (x.shape[1],):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {list(param.shape)} and input of shape {list(x.shape)}")
    _float_input("GroupNormKernelImpl", x)
    if spatial == 0 and x.shape[0] * x.shape[1]:
        raise RuntimeError(f"Expected HxW to be greater than 0, got 0 (input of shape {list(x.shape)})")
    op = GroupNorm(num_groups, eps, weight is not None, bias is not None)
    return op(*_present(x, weight, bias))


def rms_norm(x: Tensor, normalized_shape, weight=None, eps: float | None = None) -> Tensor:
    """RMS norm over the trailing dims `normalized_shape`, as torch.nn.functional.rms_norm.

    eps=None uses the machine epsilon of x's dtype (torch's default: finfo(dtype).eps).

    Raises:
        RuntimeError: x's trailing dims, or weight's shape, differ from normalized_shape.
    """
    shape = _normalized_shape(x, normalized_shape)
    _check_param("weight", weight, shape)
    _float_input("rms_norm", x)
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    return RMSNorm(len(shape), eps, weight is not None)(*_present(x, weight, None))

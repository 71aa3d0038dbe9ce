"""`torch.nn.functional` for the scratch engine: every op's function form, plus composites.

Each function is defined once, in `ops/` (one op = one class + its function); this module
gathers them under torch's names, and `shendu.scratch.nn.functional` re-exports this module,
so `import shendu.scratch.nn.functional as F` ports `import torch.nn.functional as F` code.
Composites here are built from primitive ops and need no backward of their own.
"""

from __future__ import annotations

import numpy as np

from .ops.activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    relu,
    relu6,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .ops.attention import scaled_dot_product_attention
from .ops.conv import conv1d, conv2d
from .ops.dropout import dropout
from .ops.index import embedding as _embedding
from .ops.loss import binary_cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss
from .ops.loss_logits import binary_cross_entropy_with_logits, cross_entropy, kl_div
from .ops.matmul import linear
from .ops.norm import (
    batch_norm_eval,
    batch_norm_train,
    check_batch_norm,
    group_norm,
    layer_norm,
    rms_norm,
)
from .ops.normalize import normalize
from .ops.pad import pad
from .ops.pool import adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .ops.shape import flatten
from .tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "cross_entropy", "dropout", "elu", "embedding",
    "flatten", "gelu", "group_norm", "hardtanh", "huber_loss", "kl_div", "l1_loss", "layer_norm", "leaky_relu",
    "linear", "log_softmax", "logsigmoid", "max_pool1d", "max_pool2d", "mish", "mse_loss", "nll_loss",
    "normalize", "one_hot", "pad", "relu", "relu6", "rms_norm", "scaled_dot_product_attention", "sigmoid",
    "silu", "smooth_l1_loss", "softmax", "softplus", "tanh",
]


def embedding(indices, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) for integer `indices` (*) -> (*, dim)."""
    return _embedding(indices, weight, padding_idx)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """(*) integer classes -> (*, num_classes) int64 indicator rows, as torch.nn.functional.one_hot.

    num_classes=-1 means max(tensor) + 1. The result is not differentiable (integers).

    Raises:
        RuntimeError: a non-integer tensor, a negative class, a class >= num_classes, or
            num_classes=-1 with an empty tensor.
    """
    classes = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if classes.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor; got {classes.dtype}")
    if num_classes == -1 or (classes.size == 0 and num_classes <= 0):
        if classes.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor; pass num_classes")
        num_classes = int(classes.max()) + 1
    if classes.size and classes.min() < 0:
        raise RuntimeError(f"Class values must be non-negative; got {classes.min()}")
    if classes.size and classes.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes; got {classes.max()} with "
                           f"num_classes={num_classes}")
    return Tensor((classes[..., None] == np.arange(num_classes)).astype(np.int64))  # (*, num_classes)


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
    weight and bias are each optional: either may be given without the other.
    """
    running_mean = _array_of(running_mean)
    running_var = _array_of(running_var)
    if training and x.data.size // max(x.shape[1], 1) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    check_batch_norm(x, running_mean, running_var, weight, bias)
    if training:
        y, mean, var = batch_norm_train(x, weight, bias, eps)
        if running_mean is not None:
            count = x.data.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += momentum * mean.astype(running_mean.dtype)
            running_var *= 1 - momentum
            running_var += momentum * (var * (count / max(count - 1, 1))).astype(running_var.dtype)
        return y
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm in eval mode (training=False) needs running_mean and running_var")
    return batch_norm_eval(x, running_mean, running_var, weight, bias, eps)


def _array_of(stat):
    """A running statistic as the numpy array to update in place (Tensors share their data)."""
    return stat.data if isinstance(stat, Tensor) else stat

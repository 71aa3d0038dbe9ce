"""shendu.scratch: a from-scratch deep learning engine in NumPy with torch's names.

    from shendu import scratch
    from shendu.scratch import nn, optim

A `Tensor` records the ops applied to it; `loss.backward()` fills `.grad` of the leaves.
`nn`, `optim`, `functional` and `data` mirror torch.nn, torch.optim, torch.nn.functional
and torch.utils.data; `zoo` holds twins of the torch models in `shendu.models`. Only numpy and the standard library are used.
"""

import numpy as _np

from . import functional, nn, optim, zoo  # noqa: E402  (after Tensor: they build on it)
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .data import DataLoader, TensorDataset  # noqa: E402
from .factory import (
    arange,
    eye,
    from_numpy,
    full,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck  # noqa: E402
from .ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from .ops.elementwise import where
from .ops.matmul import matmul
from .ops.reduce import argmax, max, mean, min, sum, var
from .ops.shape import (
    cat,
    chunk,
    flatten,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .ops.unary import abs, clamp, exp, log, sqrt
from .rng import default_generator, manual_seed
from .tensor import Function, Tensor
from .threads import get_num_threads, set_num_threads

float32 = _np.dtype(_np.float32)
float64 = _np.dtype(_np.float64)
int64 = _np.dtype(_np.int64)
bool_ = _np.dtype(bool)
float = float32  # torch.float is float32  # noqa: A001
double = float64
long = int64

__all__ = [
    "DataLoader", "Function", "GradcheckError", "Tensor", "TensorDataset", "abs", "arange",
    "argmax", "bool_", "cat", "chunk", "clamp", "default_generator", "double", "enable_grad",
    "exp", "eye", "flatten", "float", "float32", "float64", "from_numpy", "full", "functional",
    "get_num_threads", "gradcheck", "int64", "is_grad_enabled", "log", "log_softmax", "long", "manual_seed",
    "matmul", "max", "mean", "min", "nn", "no_grad", "ones", "ones_like", "optim", "permute",
    "rand", "randint", "randn", "relu", "reshape", "set_grad_enabled", "set_num_threads", "sigmoid", "softmax",
    "split", "sqrt", "squeeze", "stack", "sum", "tanh", "tensor", "transpose", "unsqueeze",
    "var", "where", "zeros", "zeros_like", "zoo",
]

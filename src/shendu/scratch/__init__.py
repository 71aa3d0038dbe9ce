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

# Core ops with torch's type promotion (ops/promotion.py) and indexing rules (ops/indexing.py).
from .ops.compare import (  # noqa: E402
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    maximum,
    minimum,
    ne,
)
from .ops.cumulative import cumsum  # noqa: E402
from .ops.division import floor_divide, remainder  # noqa: E402
from .ops.elementwise import add, div, mul, sub  # noqa: E402
from .ops.extremes import amax, amin, argmin  # noqa: E402
from .ops.gather import gather, scatter_add  # noqa: E402
from .ops.masked import masked_fill, tril, triu  # noqa: E402
from .ops.power import pow, reciprocal, rsqrt, square  # noqa: E402
from .ops.promotion import promote_types, result_type  # noqa: E402
from .ops.reduce import all, any, logsumexp, prod  # noqa: E402
from .ops.rounding import ceil, floor, round, sign, trunc  # noqa: E402
from .ops.shape import flip  # noqa: E402
from .ops.unary import cos, expm1, log1p, neg, sin  # noqa: E402
from .ops.variance import std  # noqa: E402

int32 = _np.dtype(_np.int32)
int16 = _np.dtype(_np.int16)
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
float16 = half = _np.dtype(_np.float16)
int = int32  # torch.int is int32  # noqa: A001
bool = bool_  # torch.bool  # noqa: A001

__all__ += [
    "add", "all", "amax", "amin", "any", "argmin", "bitwise_and", "bitwise_not", "bitwise_or",
    "bitwise_xor", "bool", "ceil", "cos", "cumsum", "div", "eq", "expm1", "flip", "float16", "floor",
    "floor_divide", "gather", "ge", "gt", "half", "int", "int8", "int16", "int32", "le", "log1p",
    "logical_and", "logical_not", "logical_or", "logsumexp", "lt", "masked_fill", "maximum",
    "minimum", "mul", "ne", "neg", "pow", "prod", "promote_types", "reciprocal", "remainder",
    "result_type", "round", "rsqrt", "scatter_add", "sign", "sin", "square", "std", "sub", "tril",
    "triu", "trunc", "uint8",
]
from .ops.compare import allclose, isfinite, isinf, isnan  # noqa: E402
from .ops.index import index_select, masked_select, narrow, nonzero, unbind  # noqa: E402
from .ops.reduce import norm  # noqa: E402
from .ops.sort import argsort, sort, topk  # noqa: E402

__all__ += [
    "allclose", "argsort", "index_select", "isfinite", "isinf", "isnan", "masked_select", "narrow",
    "nonzero", "norm", "sort", "topk", "unbind",
]

"""The Tensor methods that need no signature of their own, attached to `Tensor` on import.

* The method forms: `x.add(y)` is `add(x, y)`, as torch.Tensor's methods are torch's functions;
  the table below names them by module, with torch's aliases (`x.multiply`, `x.swapdims`, ...).
* The in-place methods (`add_`, `mul_`, `clamp_`, `fill_`, `copy_`, `x[i] = v`, ...): they change
  `.data` outside the graph (initialization, masking data), with torch's shape and dtype rules,
  and refuse a tensor that requires grad while grad mode is on.

`tensor.py` imports this module last, after `Tensor` and the op modules exist.
"""

from __future__ import annotations

import numpy as np

from . import autograd
from .ops import activation as _act
from .ops import compare as _cmp
from .ops import cumulative as _cum
from .ops import division as _div
from .ops import elementwise as _ew
from .ops import extremes as _ext
from .ops import gather as _gather
from .ops import index as _index
from .ops import masked as _masked
from .ops import matmul as _mm
from .ops import power as _pow
from .ops import promotion as _promo
from .ops import reduce as _red
from .ops import rounding as _round
from .ops import shape as _shape
from .ops import sort as _sort
from .ops import unary as _un
from .tensor import Tensor

# ---- in place, outside the graph ----------------------------------------------------------------


def _check_in_place(self: Tensor) -> None:
    if self.requires_grad and autograd._grad_enabled:
        raise RuntimeError(
            "a Tensor that requires grad is being used in an in-place operation; "
            "wrap it in `with scratch.no_grad():` or write to `.data`"
        )


def _assign(self, compute) -> Tensor:
    # torch's in-place rule: the result must keep this tensor's shape and fit its dtype.
    _check_in_place(self)
    with autograd.no_grad():
        result = compute()
    if result.shape != self.shape:
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(result.shape)}"
        )
    if _promo.category(result.dtype) > _promo.category(self.dtype):
        raise RuntimeError(
            f"result type {result.dtype} can't be cast to the desired output type {self.dtype}"
        )
    self.data[...] = result.data
    return self


def add_(self, other, *, alpha=1) -> Tensor:
    """self += alpha * other in place, outside the graph (like fill_)."""
    return _assign(self, lambda: _ew.add(self, other, alpha=alpha))


def sub_(self, other, *, alpha=1) -> Tensor:
    return _assign(self, lambda: _ew.sub(self, other, alpha=alpha))


def mul_(self, other) -> Tensor:
    return _assign(self, lambda: _ew.mul(self, other))


def div_(self, other) -> Tensor:
    return _assign(self, lambda: _ew.div(self, other))


def clamp_(self, min=None, max=None) -> Tensor:
    return _assign(self, lambda: _un.clamp(self, min, max))


def __setitem__(self, index, value) -> None:
    _check_in_place(self)
    _index.setitem(self, index, value)


def fill_(self, value) -> Tensor:
    _check_in_place(self)
    self.data[...] = value
    return self


def zero_(self) -> Tensor:
    return self.fill_(0)


def copy_(self, source) -> Tensor:
    """Copy `source` (broadcast to this tensor's shape, cast to its dtype) in place.

    Raises:
        RuntimeError: source does not broadcast to this shape (torch's copy_ keeps no leading 1s).
    """
    _check_in_place(self)
    data = np.asarray(_ew.data_of(source))
    try:
        shape = np.broadcast_shapes(self.shape, data.shape)
    except ValueError:
        raise _ew.broadcast_error(self.data, data) from None
    if shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(shape)}")
    self.data[...] = data
    return self


for _method in (_check_in_place, _assign, add_, sub_, mul_, div_, clamp_, __setitem__, fill_, zero_, copy_):
    setattr(Tensor, _method.__name__, _method)

# ---- the method forms ---------------------------------------------------------------------------

_METHODS = {
    _ew: ("add", "sub", "mul", "div"),
    _div: ("floor_divide", "remainder"),
    _pow: ("pow", "square", "reciprocal", "rsqrt"),
    _un: ("neg", "exp", "log", "sqrt", "sin", "cos", "abs", "log1p", "expm1"),
    _round: ("sign", "floor", "ceil", "round", "trunc"),
    _cmp: ("eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum", "logical_not", "logical_and",
           "logical_or", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "isnan", "isinf",
           "isfinite", "allclose"),
    _act: ("relu", "sigmoid", "tanh"),
    _red: ("sum", "mean", "prod", "logsumexp", "any", "all", "norm"),
    _sort: ("sort", "argsort", "topk"),
    _index: ("index_select", "masked_select", "nonzero", "narrow", "unbind"),
    _ext: ("argmax", "argmin", "amax", "amin"),
    _cum: ("cumsum",),
    _mm: ("matmul",),
    _masked: ("masked_fill", "tril", "triu"),
    _gather: ("gather", "scatter_add"),
    _shape: ("transpose", "flatten", "unsqueeze", "squeeze", "chunk", "split"),
}



def _deferred(module, name: str):
    # The module that imported this one first is still half-initialized here; look up later.
    def method(self, *args, **kwargs):
        return getattr(module, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


for _module, _names in _METHODS.items():
    for _name in _names:
        setattr(Tensor, _name, getattr(_module, _name, None) or _deferred(_module, _name))
Tensor.negative, Tensor.true_divide, Tensor.multiply, Tensor.subtract = (
    _un.neg, _ew.div, _ew.mul, _ew.sub)
Tensor.greater, Tensor.less, Tensor.greater_equal, Tensor.less_equal, Tensor.not_equal = (
    _cmp.gt, _cmp.lt, _cmp.ge, _cmp.le, _cmp.ne)
Tensor.swapaxes = Tensor.swapdims = _shape.transpose

"""Reductions over dims: sum, mean, prod, logsumexp, any, all (max/min in `extremes`,
var/std in `variance`, re-exported here).

`dim` is None (all dims), an int, or a tuple/list of ints; like torch, an empty tuple means
all dims, a 0-d tensor accepts dim 0 and -1, and repeated dims are an error. Integer and bool
inputs sum (and prod) in int64; mean, logsumexp, var and std need floats, as in torch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import autograd
from ..tensor import Function, Tensor
from .extremes import MaxResult, argmax, argmin, max, min  # noqa: F401  (re-exported)
from .promotion import INT64, float_result
from .shape import normalize_dim
from .unary import Cast


def normalize_dims(dim, ndim: int):
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes, or None for all.

    Raises:
        IndexError: a dim outside [-ndim, ndim - 1] ([-1, 0] for a 0-d tensor).
        RuntimeError: a dim given twice.
    """
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        axes = (normalize_dim(int(dim), ndim),)
    else:
        axes = tuple(normalize_dim(int(d), ndim) for d in dim)
        if len(set(axes)) != len(axes):
            twice = next(d for d in axes if axes.count(d) > 1)
            raise RuntimeError(f"dim {twice} appears multiple times in the list of dims; got {tuple(dim)}")
        if not axes:
            return None  # torch: dim=() reduces over every dim
    return None if ndim == 0 else axes


def keepdim_shape(shape: tuple, axes) -> tuple:
    """`shape` with the reduced axes (all when None) set to 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def reduced_count(shape: tuple, axes) -> int:
    """How many elements each output element of a reduction over `axes` summarizes."""
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


def _require_float(a: Tensor, name: str) -> None:
    if a.data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {a.data.dtype}; convert with .float() first"
        )


def check_grad_dtype(input: Tensor, dtype) -> None:
    """torch refuses a `dtype=` that is not floating point for an input that requires grad."""
    if dtype is not None and np.dtype(dtype).kind not in "fc" and input.requires_grad and autograd._grad_enabled:
        raise RuntimeError(f"Autograd not support dtype: {np.dtype(dtype)}; the input requires grad, so ask for a "
                           f"floating point dtype (or detach first)")


def _integral_sum_dtype(a: Tensor, dtype):
    # torch sums (and multiplies) bool and integer tensors in int64.
    if dtype is not None:
        return np.dtype(dtype)
    return INT64 if a.data.dtype.kind in "biu" else None


class Sum(Function):
    """out = sum of a over `axes` (all when None)."""

    __slots__ = ("axes", "keepdim", "shape", "dtype")

    def __init__(self, axes=None, keepdim: bool = False, dtype=None):
        self.axes, self.keepdim, self.dtype = axes, keepdim, dtype

    def forward(self, a):
        self.shape = a.shape
        return np.asarray(np.sum(a, axis=self.axes, keepdims=self.keepdim, dtype=self.dtype))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.reshape(grad, keepdim_shape(self.shape, self.axes))  # restore reduced dims as 1
        return (np.broadcast_to(grad, self.shape),)


class Mean(Function):
    """out = mean of a over `axes` (all when None); an empty reduction is nan, as in torch."""

    __slots__ = ("axes", "keepdim", "shape", "count")

    def __init__(self, axes=None, keepdim: bool = False):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a):
        self.shape = a.shape
        self.count = reduced_count(a.shape, self.axes)
        total = np.sum(a, axis=self.axes, keepdims=self.keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / np.asarray(self.count, a.dtype))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.reshape(grad, keepdim_shape(self.shape, self.axes))  # restore reduced dims as 1
        return (np.broadcast_to(grad / np.asarray(self.count, grad.dtype), self.shape),)


class Prod(Function):
    """out = product of a over one axis (all when None).

    torch's `prod_backward`: out / a when no element is 0, otherwise the product of all the
    other elements (exclusive cumulative products from both ends), so zeros get exact gradients.
    """

    __slots__ = ("axis", "keepdim", "a", "out")

    def __init__(self, axis=None, keepdim: bool = False):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, a):
        self.a = a
        self.out = np.asarray(np.prod(a, axis=self.axis, keepdims=self.keepdim, dtype=a.dtype))
        return self.out

    def backward(self, grad):
        a, axis = self.a, self.axis
        if a.ndim == 0:
            return (grad,)
        shape = keepdim_shape(a.shape, None if axis is None else (axis,))
        grad, out = np.reshape(grad, shape), np.reshape(self.out, shape)
        if not np.any(a == 0):
            return (grad * (out / a),)
        if axis is None:  # over all elements: work on the flattened array
            others = _product_of_others(a.reshape(-1), 0).reshape(a.shape)
        else:
            others = _product_of_others(a, axis)
        return (grad * others,)


def _product_of_others(a: np.ndarray, axis: int) -> np.ndarray:
    """For each element, the product of the other elements along `axis` (no division)."""
    ones = np.ones_like(np.take(a, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, np.delete(a, -1, axis=axis)], axis=axis), axis=axis)
    flipped = np.flip(a, axis)
    after = np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=axis)], axis=axis), axis=axis)
    return before * np.flip(after, axis)


class LogSumExp(Function):
    """out = log(sum(exp(a))) over `axes`, shifted by the max (set to 0 where it is infinite,
    torch's rule); d/da = exp(a - out)."""

    __slots__ = ("axes", "keepdim", "a", "out")

    def __init__(self, axes=None, keepdim: bool = False):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a):
        self.a = a
        if a.size:
            shift = np.max(a, axis=self.axes, keepdims=True)
            shift = np.where(np.isinf(shift), np.zeros((), a.dtype), shift)
        else:
            shift = np.zeros((), a.dtype)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            total = np.sum(np.exp(a - shift), axis=self.axes, keepdims=True)
            out = np.log(total) + shift
        self.out = out
        if self.keepdim:
            return out
        return np.reshape(out, () if self.axes is None else tuple(
            n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, grad):
        grad = np.reshape(grad, self.out.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad * np.exp(self.a - self.out),)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over `dim` (int, tuple, or None / () for all); bool and int inputs sum in int64.

    Raises:
        IndexError: a dim outside [-input.ndim, input.ndim - 1].
        RuntimeError: a dim given twice.
    """
    axes = normalize_dims(dim, input.ndim)
    check_grad_dtype(input, dtype)
    if dtype is not None and input.dtype != dtype:
        input = input.to(dtype)
    return Sum(axes, keepdim, _integral_sum_dtype(input, dtype))(input)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over `dim` (int, tuple, or None / () for all); nan for an empty reduction.

    Raises:
        RuntimeError: an integer or bool input without `dtype=` (torch cannot infer a float dtype).
    """
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "mean")
    return Mean(normalize_dims(dim, input.ndim), keepdim)(input)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or along one int `dim`; bool and int inputs multiply in int64."""
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    check_grad_dtype(input, dtype)
    out_dtype = _integral_sum_dtype(input, dtype)
    if out_dtype is not None and input.dtype != out_dtype:
        input = Cast(out_dtype)(input)
    if dim is None:
        return Prod(None, False)(input)
    return Prod(axis if input.ndim else None, keepdim)(input)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim` (int or tuple), computed without overflow.

    Integer inputs give float32. All -inf gives -inf (with nan gradients, as torch).
    """
    if input.data.dtype.kind not in "fc":
        input = Cast(float_result(input.data.dtype))(input)
    return LogSumExp(normalize_dims(dim, input.ndim), keepdim)(input)


class NormP(Function):
    """out = (sum |a|^p)^(1/p) over `axes` for a finite p > 0, with torch's gradient
    (linalg_vector_norm_backward): a |a|^(p-2) (sign(a) |a|^(p-1) for p < 2, 0 at a == 0 for
    p < 1) times grad / out^(p-1), and 0 where out is 0 (so the norm of zeros has gradient 0)."""

    __slots__ = ("p", "axes", "keepdim", "a", "out")

    def __init__(self, p: float, axes=None, keepdim: bool = False):
        self.p, self.axes, self.keepdim = p, axes, keepdim

    def forward(self, a):
        self.a, p = a, self.p
        with np.errstate(over="ignore"):
            if p == 2:
                self.out = np.sqrt(np.sum(a * a, axis=self.axes, keepdims=True))
            else:
                self.out = np.sum(np.abs(a) ** p, axis=self.axes, keepdims=True) ** (1.0 / p)
        if self.keepdim:
            return self.out
        return np.reshape(self.out, () if self.axes is None else tuple(
            n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, grad):
        a, p, zero = self.a, self.p, np.zeros((), grad.dtype)
        grad = np.reshape(grad, self.out.shape)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if p >= 2:
                scaled = a if p == 2 else a * np.abs(a) ** (p - 2)
            else:
                scaled = np.nan_to_num(np.sign(a), nan=0.0) * np.abs(a) ** (p - 1)  # torch's sgn: 0 at nan
                if p < 1:
                    scaled = np.where(a == 0, zero, scaled)
            scale = grad / (self.out if p == 2 else self.out ** (p - 1))
            if p >= 1:
                scale = np.where(self.out == 0, zero, scale)
        return (scaled * scale,)


class NormInf(Function):
    """out = max (or min) |a| over `axes`; torch's gradient (linalg_vector_norm_backward):
    sign(a) times grad shared among the elements equal to out or nan (sign(nan) is 0)."""

    __slots__ = ("smaller", "axes", "keepdim", "mask", "sign", "kept_shape")

    def __init__(self, smaller: bool, axes=None, keepdim: bool = False):
        self.smaller, self.axes, self.keepdim = smaller, axes, keepdim

    def forward(self, a):
        size = np.abs(a)
        out = (np.min if self.smaller else np.max)(size, axis=self.axes, keepdims=True)
        self.mask, self.kept_shape = (size == out) | np.isnan(size), out.shape
        self.sign = np.nan_to_num(np.sign(a), nan=0.0)
        return out if self.keepdim else np.reshape(out, () if self.axes is None else tuple(
            n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, grad):
        grad = np.reshape(grad, self.kept_shape)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return (self.sign * self.mask * (grad / count).astype(grad.dtype),)


class NormZero(Function):
    """out = the number of nonzero elements over `axes` (torch's p=0 "norm"); d/da = 0."""

    __slots__ = ("axes", "keepdim", "shape")

    def __init__(self, axes=None, keepdim: bool = False):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a):
        self.shape = a.shape
        return np.asarray(np.count_nonzero(a, axis=self.axes, keepdims=self.keepdim)).astype(a.dtype)

    def backward(self, grad):
        return (np.zeros(self.shape, grad.dtype),)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm over `dim` (all when None): "fro" (= 2), any finite p > 0, 0 (the count of
    nonzeros), inf or -inf (the largest / smallest |x|). Gradients are torch's, 0 for the norm
    of zeros.

    Raises:
        RuntimeError: an integer input, p < 0, or "fro" over more than 2 dims.
        NotImplementedError: p="nuc" (the nuclear norm needs an SVD; not in shendu.scratch).
    """
    _require_float(input, "norm")
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc') (the nuclear norm) is not implemented in shendu.scratch; "
                                  "use numpy.linalg.norm(x, 'nuc') on the data")
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple; got dim={tuple(dim)} for p='fro'")
    if p in (math.inf, -math.inf):
        dims = range(input.ndim) if dim is None or dim == () else (dim,) if isinstance(dim, int) else dim
        for d in dims:  # one dim at a time, as torch: an empty dim may raise before a later bad one
            if input.ndim and input.shape[normalize_dim(d, input.ndim)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension {d} because "
                                   f"this dimension is empty and the operation does not have an identity")
        return NormInf(p < 0, normalize_dims(dim, input.ndim), keepdim)(input)
    axes = normalize_dims(dim, input.ndim)
    p = 2.0 if p == "fro" else float(p)
    if p == 0:
        return NormZero(axes, keepdim)(input)
    if not p > 0:
        raise RuntimeError(f"norm: only p >= 0, 'fro', inf and -inf are supported here; got p={p}")
    return NormP(p, axes, keepdim)(input)


def _logical(ufunc, input: Tensor, dim, keepdim: bool) -> Tensor:
    if isinstance(dim, (tuple, list)) and not dim:  # torch: any/all over no dims reduce nothing
        out = input.data != 0
        return Tensor(out.astype(np.uint8) if input.dtype == np.uint8 else out)
    axes = normalize_dims(dim, input.ndim)
    out = np.asarray(ufunc(input.data, axis=axes, keepdims=keepdim))
    return Tensor(out.astype(np.uint8) if input.dtype == np.uint8 else out)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (along `dim`) is nonzero; bool (uint8 for uint8 input, as torch)."""
    return _logical(np.any, input, dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (along `dim`) is nonzero; bool (uint8 for uint8 input, as torch)."""
    return _logical(np.all, input, dim, keepdim)


def var(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
    """See `variance.var`."""
    from .variance import var as _var

    return _var(input, dim, unbiased, keepdim, correction=correction)

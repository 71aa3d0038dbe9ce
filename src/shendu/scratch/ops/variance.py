"""var and std with torch's values and gradients when there are too few elements.

torch divides by max(0, N - correction) (aten/src/ATen/native/ReduceOps.cpp, `std_var_out`),
so N == correction gives 0 / 0 = nan (or x / 0 = inf), never a negative variance, and warns
"degrees of freedom is <= 0". Its gradients (FunctionsManual.cpp, `var_backward`,
`std_backward`) are:

* var over all dims: 2 / (N - correction) * grad * (a - mean); when N - correction <= 0,
  grad * (nan where a == mean else inf);
* var over some dims: the same formula, with the divisor not clamped;
* std: the var gradient of grad / (2 std), set to 0 where std == 0.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Function, Tensor
from .reduce import keepdim_shape, normalize_dims, reduced_count


class Var(Function):
    """out = sum((a - mean)^2) / max(0, N - correction) over `axes` (all when None); `std`
    takes its square root inside the same op."""

    __slots__ = ("axes", "keepdim", "correction", "std", "a", "centered", "out", "mean")

    def __init__(self, axes, keepdim: bool, correction, std: bool = False):
        self.axes, self.keepdim, self.correction, self.std = axes, keepdim, correction, std

    def forward(self, a):
        self.a = a
        count = reduced_count(a.shape, self.axes)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = mean = np.sum(a, axis=self.axes, keepdims=True) / np.asarray(count, a.dtype)
            self.centered = a - mean
            squares = np.sum(self.centered * self.centered, axis=self.axes, keepdims=self.keepdim)
            out = squares / np.asarray(max(0, count - self.correction), a.dtype)
            if self.std:
                out = np.sqrt(out)
        self.out = np.asarray(out)
        return self.out

    def backward(self, grad):
        grad = np.reshape(grad, keepdim_shape(self.a.shape, self.axes))
        dtype = grad.dtype
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if self.std:
                out = np.reshape(self.out, grad.shape)
                grad = np.where(out == 0, np.zeros((), dtype), grad / (2 * out))
            dof = reduced_count(self.a.shape, self.axes) - self.correction
            if self.axes is None and dof <= 0:
                at_mean = self.a == self.mean  # torch compares the values (so -inf at a mean of -inf)
                return (grad * np.where(at_mean, np.asarray(np.nan, dtype), np.asarray(np.inf, dtype)),)
            return (np.asarray(2.0 / dof if dof else np.inf, dtype) * grad * self.centered,)



def _check(input: Tensor, name: str) -> None:
    if input.data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name} only supports floating point and complex dtypes; got {input.data.dtype} "
            "(convert with .float() first)"
        )


def _variance(input: Tensor, dim, unbiased, keepdim, correction, std: bool) -> Tensor:
    name = "std" if std else "var"
    _check(input, f"{name}")
    if correction is None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, input.ndim)
    if reduced_count(input.shape, axes) - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return Var(axes, keepdim, correction, std)(input)


def var(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance sum((x - mean)^2) / max(0, N - correction); correction defaults to 1 (unbiased).

    Warns (UserWarning, as torch) and gives nan or inf when N - correction <= 0.

    Raises:
        RuntimeError: an integer or bool input.
    """
    return _variance(input, dim, unbiased, keepdim, correction, std=False)


def std(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation, the square root of `var` (same arguments); its gradient is 0 where it is 0."""
    return _variance(input, dim, unbiased, keepdim, correction, std=True)

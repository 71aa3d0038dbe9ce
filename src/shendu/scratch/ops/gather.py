"""gather and scatter_add along a dim (torch's index rules, gradients that scatter back).

For a 2-D input and dim=0: gather gives out[i][j] = input[index[i][j]][j]; scatter_add adds
src[i][j] into out[index[i][j]][j]. `index` has as many dims as `input`, is no larger than
`input` in the other dims (and no larger than `src` in any), and its values lie in
[0, input.size(dim)): torch does not wrap negative indices here.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim


def _index_array(index, name: str) -> np.ndarray:
    array = np.asarray(index.data if isinstance(index, Tensor) else index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index; got {array.dtype}")
    return array


def _check(name: str, shape: tuple, axis: int, index: np.ndarray, src_shape=None) -> None:
    if index.ndim != max(len(shape), 1) and not (index.ndim == 0 and len(shape) == 0):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as input tensor; got index "
            f"{list(index.shape)} for input {list(shape)}"
        )
    for d in range(index.ndim):
        if d != axis and len(shape) and index.shape[d] > shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                f"larger than self {list(shape)} apart from dimension {axis}"
            )
        if src_shape is not None and len(src_shape) and index.shape[d] > src_shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                f"larger than src {list(src_shape)}"
            )
    size = shape[axis] if len(shape) else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {axis} with size {size}")


def _positions(index: np.ndarray, axis: int) -> tuple:
    """The full numpy index of the elements `index` points at: index itself along `axis`,
    the element's own position along every other dim."""
    grids = np.ogrid[tuple(slice(n) for n in index.shape)]
    return tuple(index if d == axis else grids[d] for d in range(index.ndim))


class Gather(Function):
    """out = input values at `index` along `axis`; the gradient adds back into those positions."""

    __slots__ = ("axis", "index", "shape")

    def __init__(self, axis: int, index: np.ndarray):
        self.axis, self.index = axis, index

    def forward(self, a):
        self.shape = a.shape
        return a[_positions(self.index, self.axis)]

    def backward(self, grad):
        full = np.zeros(self.shape, grad.dtype)
        np.add.at(full, _positions(self.index, self.axis), grad)
        return (full,)


class ScatterAdd(Function):
    """out = input with src[p] added at the positions `index` names along `axis`.

    d/dinput = grad; d/dsrc = grad gathered at those positions (zero where src is larger
    than index; torch refuses that case in backward).
    """

    __slots__ = ("axis", "index", "src_shape")

    def __init__(self, axis: int, index: np.ndarray):
        self.axis, self.index = axis, index

    def forward(self, a, src):
        self.src_shape = src.shape
        out = a.copy()
        own = tuple(slice(n) for n in self.index.shape)  # the part of src that index covers
        np.add.at(out, _positions(self.index, self.axis), src[own])
        return out

    def backward(self, grad):
        gsrc = np.zeros(self.src_shape, grad.dtype)
        gsrc[tuple(slice(n) for n in self.index.shape)] = grad[_positions(self.index, self.axis)]
        return grad, gsrc


def _as_1d(t: Tensor, index: np.ndarray):
    # torch treats 0-d input and index as one-element 1-d ones.
    return (t.reshape(1) if t.ndim == 0 else t), (index.reshape(1) if index.ndim == 0 else index)


def gather(input: Tensor, dim: int, index) -> Tensor:
    """Values of `input` along `dim` at `index` (an int tensor of input's ndim); out has index's shape.

    Raises:
        RuntimeError: index not integer, of another ndim, too large, or out of range.
        IndexError: `dim` out of range.
    """
    index = _index_array(index, "gather")
    axis = normalize_dim(dim, input.ndim)
    if index.size == 0:  # torch checks nothing else and returns an empty tensor shaped like index
        from .index import getitem
        from .shape import reshape

        return getitem(reshape(input, (-1,)), np.zeros(index.shape, np.int64))
    _check("gather", input.shape, axis, index)
    if input.ndim == 0:
        flat, flat_index = _as_1d(input, index)
        return Gather(0, flat_index)(flat).reshape(index.shape)
    return Gather(axis, index)(input)


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """A copy of `input` with `src` values added at `index` along `dim` (repeats add up).

    Raises:
        RuntimeError: src's dtype differs from input's, or `index` fails gather's checks or
            is larger than `src`.
    """
    index = _index_array(index, "scatter_add")
    axis = normalize_dim(dim, input.ndim)
    if not isinstance(src, Tensor):
        src = Tensor(np.asarray(src, input.dtype))
    if src.dtype != input.dtype:
        raise RuntimeError(
            f"scatter(): Expected self.dtype to be equal to src.dtype; got {input.dtype} and "
            f"{src.dtype} (cast src with .to(input.dtype))"
        )
    _check("scatter_add", input.shape, axis, index, src.shape)
    if input.ndim == 0:
        flat, flat_index = _as_1d(input, index)
        return ScatterAdd(0, flat_index)(flat, src.reshape(1) if src.ndim == 0 else src).reshape(())
    return ScatterAdd(axis, index)(input, src)

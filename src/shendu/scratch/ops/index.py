"""Indexing ops: `a[index]` and `a[index] = value` with torch's rules, and embedding lookup."""

from __future__ import annotations

import numpy as np

from ..autograd import IndexedGrad
from ..tensor import Function, Tensor
from .indexing import is_basic, plan_index, take


class GetItem(Function):
    """out = a[basic][advanced] (see `indexing.plan_index`); the gradient scatters back,
    summing repeated positions of integer-array indices."""

    __slots__ = ("basic", "advanced", "shape", "dtype")

    def __init__(self, basic, advanced=None):
        self.basic, self.advanced = basic, advanced

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        out = a[self.basic]
        if out.__class__ is not np.ndarray:  # all dims selected: numpy gives a scalar, torch a 0-d view
            out = a[self.basic + (Ellipsis,) if isinstance(self.basic, tuple) else (self.basic, Ellipsis)]
        return out if self.advanced is None else take(out, self.advanced)

    def backward(self, grad):
        if self.advanced is None:
            return (IndexedGrad(self.shape, self.dtype, self.basic, grad, False),)
        return (IndexedGrad(self.shape, self.dtype, self.advanced, grad, True, basic=self.basic),)


class Embedding(Function):
    """out[..., :] = weight[indices[...], :]; rows at `padding_idx` get no gradient.

    Shapes: indices (*), weight (num_embeddings, embedding_dim) -> out (*, embedding_dim).
    """

    __slots__ = ("indices", "padding_idx", "shape", "dtype")

    def __init__(self, indices: np.ndarray, padding_idx: int | None = None):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        self.shape, self.dtype = weight.shape, weight.dtype
        try:
            return weight[self.indices]
        except IndexError:
            raise IndexError(
                f"index out of range in self: indices must lie in [0, {weight.shape[0] - 1}]; "
                f"got min {self.indices.min()} and max {self.indices.max()}"
            ) from None

    def backward(self, grad):
        if self.padding_idx is not None:
            grad = grad * (self.indices != self.padding_idx)[..., None]
        return (IndexedGrad(self.shape, self.dtype, self.indices, grad, True),)


def getitem(a: Tensor, index) -> Tensor:
    """`a[index]` by torch's rules: ints, slices, None, Ellipsis, bools, index tensors, masks.

    Raises:
        IndexError: too many indices, an index out of range, a mask of the wrong shape.
        ValueError: a slice step <= 0 (torch has no negative steps; use flip).
    """
    if is_basic(index):  # the common case (x[t], x[:, t], x[a:b]): numpy's meaning is torch's
        return GetItem(index)(a)
    plan = plan_index(a.shape, index)
    return GetItem(plan.basic, plan.advanced)(a)


def setitem(a: Tensor, index, value) -> None:
    """`a[index] = value` in place, by the same rules (value broadcasts to the indexed shape).

    Raises:
        RuntimeError: `value` does not broadcast to the shape `a[index]` has.
    """
    value = value.data if isinstance(value, Tensor) else value
    mask = index[0] if isinstance(index, tuple) and len(index) == 1 else index
    if isinstance(mask, Tensor) and mask.dtype == np.uint8 and np.size(value) == 1:
        # torch sends a lone mask with one value to masked_fill_, which takes bool masks only
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype uint8; use .bool()"
        )
    plan = (index, None) if is_basic(index) else plan_index(a.shape, index)
    try:
        if plan[1] is None:
            a.data[plan[0]] = value
        else:
            view = a.data[plan[0]]
            if view.size or take(view, plan[1]).size:  # torch writes nothing into an empty result
                view[plan[1]] = value
    except ValueError as error:
        raise RuntimeError(
            f"shape mismatch: value of shape {np.shape(value)} cannot be broadcast to the indexed "
            f"shape ({error})"
        ) from None


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The slices of `input` at the positions `index` (a 1-d int tensor) along `dim`.

    Raises:
        IndexError: `index` has more than 1 dim, or a position outside [0, size).
    """
    from .shape import normalize_dim

    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector; got shape {idx.shape}")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError(f"index out of range in self: positions must lie in [0, {size - 1}]; got {idx.tolist()}")
    if input.ndim == 0:  # torch gives the 0-d input back
        return getitem(input, ())
    return getitem(input, (slice(None),) * axis + (idx.reshape(-1),))


def masked_select(input: Tensor, mask) -> Tensor:
    """The elements of `input` where the bool `mask` holds (both broadcast), as a 1-d tensor."""
    from .shape import expand

    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    shape = np.broadcast_shapes(input.shape, mask.shape)
    source = input if input.shape == shape else expand(input, shape)
    return getitem(source, np.broadcast_to(mask, shape))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an (N, ndim) int64 tensor, or a tuple of ndim 1-d ones."""
    data = input.data
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return Tensor(np.argwhere(data).astype(np.int64).reshape(-1, data.ndim))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The `length` slices of `input` from `start` along `dim` (a view)."""
    from .shape import normalize_dim

    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    begin = start + size if start < 0 else start
    if not 0 <= begin <= size or length < 0 or begin + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * axis + (slice(begin, begin + length),))


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices of `input` along `dim`, each without that dim."""
    from .shape import normalize_dim

    axis = normalize_dim(dim, input.ndim)
    return tuple(getitem(input, (slice(None),) * axis + (i,)) for i in range(input.shape[axis]))


def embedding(indices, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Look up rows of `weight` (num_embeddings, dim) for integer `indices` (*) -> (*, dim).

    Raises:
        IndexError: an index is negative or >= num_embeddings.
    """
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have an integer dtype; got {idx.dtype}"
        )
    if idx.size and idx.min() < 0:
        raise IndexError(f"index out of range in self: got negative index {idx.min()}")
    return Embedding(idx, padding_idx)(weight)

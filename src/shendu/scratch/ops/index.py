"""Indexing ops: `a[index]` (basic and integer-array) and embedding lookup."""

from __future__ import annotations

import numpy as np

from ..autograd import IndexedGrad
from ..tensor import Function, Tensor


class GetItem(Function):
    """out = a[index]; the gradient scatters back (summing repeats of integer-array indices)."""

    __slots__ = ("index", "advanced", "shape", "dtype")

    def __init__(self, index, advanced: bool):
        self.index, self.advanced = index, advanced

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        return a[self.index]

    def backward(self, grad):
        return (IndexedGrad(self.shape, self.dtype, self.index, grad, self.advanced),)


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


def _unwrap(item):
    if isinstance(item, Tensor):
        return item.data
    if isinstance(item, list):
        return np.asarray(item)
    return item


def unwrap_index(index):
    """An index with Tensors and lists replaced by numpy arrays."""
    return tuple(_unwrap(i) for i in index) if isinstance(index, tuple) else _unwrap(index)


def getitem(a: Tensor, index) -> Tensor:
    """`a[index]` with ints, slices, None, Ellipsis, bool masks and integer arrays/tensors.

    Raises:
        IndexError: an index is out of range (numpy's message names the axis and size).
    """
    items = tuple(_unwrap(i) for i in index) if isinstance(index, tuple) else (_unwrap(index),)
    # Only integer arrays can repeat a position, which needs np.add.at in backward.
    advanced = any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)
    return GetItem(items if len(items) > 1 else items[0], advanced)(a)


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

"""Indexing ops: `a[index]` and `a[index] = value` with torch's rules, and embedding lookup."""

from __future__ import annotations

import numpy as np

from ..autograd import IndexedGrad
from ..tensor import Function, Tensor
from .indexing import (
    _treat_sequence_as_tuple,
    _unwrap_nested,
    advanced_shape,
    is_basic,
    plan_index,
    take,
)


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
        RuntimeError: `value` does not broadcast to the shape `a[index]` has, or (with index
            tensors) a value tensor of another dtype.
    """
    value_tensor = value
    value = value.data if isinstance(value, Tensor) else value
    mask = index[0] if isinstance(index, tuple) and len(index) == 1 else index
    if isinstance(mask, Tensor) and mask.dtype == np.uint8 and np.size(value) == 1:
        # torch sends a lone mask with one value to masked_fill_, which takes bool masks only
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype uint8; use .bool()"
        )
    plan = (index, None) if is_basic(index) else plan_index(a.shape, index)
    if _index_put_dtype_differs(a, index, value_tensor):
        if plan[1] is not None:  # torch first checks that index tensors broadcast and avoid empty dims
            view = a.data[plan[0]]
            advanced_shape(view.shape, plan[1])
            if not view.size:
                take(view, plan[1])
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {a.dtype} for the "
                           f"destination and {value_tensor.dtype} for the source; cast the value with "
                           f".to({a.dtype})")
    try:
        if plan[1] is None:
            target = a.data[plan[0]]
            if isinstance(value, np.ndarray) and value.ndim > np.ndim(target):
                value = _drop_leading_ones(value, np.ndim(target))
            a.data[plan[0]] = value
        else:
            view = a.data[plan[0]]
            target = take(view, plan[1]) if not view.size else None
            if target is None or target.size:
                view[plan[1]] = value
            else:  # torch writes nothing into an empty result, but still checks the value's shape
                _broadcast_value(np.asarray(value), target.shape)
    except ValueError as error:
        raise RuntimeError(
            f"shape mismatch: value of shape {np.shape(value)} cannot be broadcast to the indexed "
            f"shape ({error})"
        ) from None


def _drop_leading_ones(value: np.ndarray, ndim: int) -> np.ndarray:
    # torch (like numpy's assignment into arrays) drops a value's leading size-1 dims.
    lead = 0
    while lead < value.ndim - ndim and value.shape[lead] == 1:
        lead += 1
    return value.reshape(value.shape[lead:])


def _broadcast_value(value: np.ndarray, shape: tuple) -> None:
    np.broadcast_to(_drop_leading_ones(value, len(shape)), shape)


def _index_put_dtype_differs(a: Tensor, index, value) -> bool:
    """Whether torch's index_put_ refuses this value tensor of another dtype: it does unless
    it dispatches to masked_fill_ (one bool/uint8 mask as the only index tensor, a one-element value).

    Python bools and 0-d bool tensors count as (long) index tensors, as torch builds them;
    0-d integer tensors select like ints.
    """
    if not isinstance(value, Tensor) or value.dtype == a.dtype or isinstance(index, (bool, np.bool_)):
        return False  # a lone Python bool index copies (torch special-cases x[True] = v)
    if isinstance(index, tuple):
        items = index
    elif isinstance(index, list) and _treat_sequence_as_tuple(index):
        items = tuple(index)
    else:
        items = (index,)
    masks = others = 0
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            others += 1
        elif isinstance(item, (Tensor, np.ndarray, list, tuple, range)):
            array = np.asarray(_unwrap_nested(item))
            if array.ndim and (array.dtype.kind == "b" or array.dtype == np.uint8):
                masks += 1
            elif array.ndim or array.dtype.kind == "b":
                others += 1
    return not (masks + others == 0 or (masks == 1 and others == 0 and value.data.size == 1))


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
    if input.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    if size == 0 and idx.size and input.ndim > 1:
        raise RuntimeError(f"index_select(): self indexing axis dim should be positive; dim {axis} of "
                           f"{list(input.shape)} is empty")
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"index out of range in self: got {bad} for dim {axis} of size {size}; positions must lie in "
                         f"[0, {size - 1}]")
    if input.ndim == 0:  # torch gives the 0-d input back
        return getitem(input, ())
    return getitem(input, (slice(None),) * axis + (idx.reshape(-1),))


def masked_select(input: Tensor, mask) -> Tensor:
    """The elements of `input` where the bool `mask` holds (both broadcast), as a 1-d tensor.

    Raises:
        RuntimeError: a mask that is not bool, or shapes that do not broadcast.
    """
    from .elementwise import broadcast_error
    from .shape import expand

    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask; got {mask.dtype} (compare first, e.g. "
                           f"mask != 0)")
    try:
        shape = np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise broadcast_error(input.data, mask) from None
    source = input if input.shape == shape else expand(input, shape)
    return getitem(source, np.broadcast_to(mask, shape))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an (N, ndim) int64 tensor, or a tuple of ndim 1-d ones."""
    data = input.data
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return Tensor(np.argwhere(data).astype(np.int64))  # (N, ndim)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The `length` slices of `input` from `start` along `dim` (a view)."""
    from .shape import normalize_dim

    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
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
    if padding_idx is not None:
        num = weight.shape[0]
        if not -num <= padding_idx < num:
            raise AssertionError(f"Padding_idx must be within num_embeddings; got padding_idx={padding_idx} for "
                                 f"{num} embeddings")
        padding_idx %= num  # torch counts a negative padding_idx from the end
    return Embedding(idx, padding_idx)(weight)

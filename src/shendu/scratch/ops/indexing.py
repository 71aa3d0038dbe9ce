"""torch's indexing rules, turned into two numpy indexes (a pure function of shape and index).

torch reads `x[i0, i1, ...]` left to right over the dims of x (torch/csrc/autograd/
python_variable_indexing.cpp, `applySlicing`), then does one advanced-indexing step
(aten/src/ATen/native/TensorAdvancedIndexing.cpp, `index`):

* an int, or a 0-d integer tensor, *selects* right away: it removes its dim and never takes
  part in advanced indexing (numpy differs: there `x[0, :, [1, 2]]` on (3, 4, 5) is (2, 4),
  in torch it is (4, 2));
* a slice narrows its dim (a step must be > 0); `None` inserts a size-1 dim; `...` skips
  `x.dim() - (number of dims the index names)` dims, each time it appears;
* `True` / `False` (and 0-d bool tensors) insert a size-1 dim indexed by [0] / [];
* a tensor, numpy array or nested sequence becomes an index tensor for its dim; a bool
  (or uint8) one is a mask over as many dims as it has, and expands to its nonzero indices;
* the index tensors broadcast together; when the dims they index are next to each other the
  result dims take their place, otherwise they go first (the same rule as numpy's).

A list that holds a slice, None, Ellipsis, a tensor or another sequence (and has fewer than
32 items) is read as a tuple (`x[[0, [1]]]` is `x[0, [1]]`); torch warns that this is
deprecated, and so do we. `plan_index` returns the numpy index for the first step (ints,
slices, None only: a view) and, when there are index tensors, the numpy index for the second
(int arrays and full slices only, where numpy's rule equals torch's).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ..tensor import Tensor

_FULL = slice(None)


class IndexPlan(NamedTuple):
    basic: tuple  # ints, slices, None: applied first, gives a view
    advanced: tuple | None  # int arrays and full slices, applied to that view (None: no such step)


def _treat_sequence_as_tuple(index) -> bool:
    # torch's treatSequenceAsTuple (the numpy heuristic it copied).
    if len(index) >= 32:
        return False
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, (Tensor, np.ndarray, list, tuple, range, slice, str)):
            return True
    return False


def _items(index) -> tuple:
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and _treat_sequence_as_tuple(index):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated (as in torch); "
            "use x[tuple(seq)] instead of x[seq]",
            UserWarning,
            stacklevel=4,
        )
        return tuple(index)
    return (index,)


def _unwrap_nested(seq):
    if isinstance(seq, Tensor):
        return seq.data
    if isinstance(seq, (list, tuple, range)):
        return [_unwrap_nested(s) for s in seq]
    return seq


def _index_array(item) -> np.ndarray:
    """A tensor, array or sequence as an array (its dtype is checked later, as torch does)."""
    if isinstance(item, Tensor):
        array = item.data
    elif isinstance(item, np.ndarray):
        array = item
    else:
        try:
            array = np.asarray(_unwrap_nested(item))
        except ValueError as error:  # ragged nested lists
            raise IndexError(f"an index sequence must be rectangular; got {item!r} ({error})") from None
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.int64)  # torch reads an empty list as an empty long tensor
    return array


def _is_mask(array: np.ndarray) -> bool:
    return array.dtype.kind == "b" or array.dtype == np.uint8


def _specified_dims(items) -> int:
    # torch's count_specified_dimensions: a mask tensor names as many dims as it has.
    count = 0
    for item in items:
        if isinstance(item, (Tensor, np.ndarray)):
            count += item.ndim if _is_mask(np.asarray(item.data if isinstance(item, Tensor) else item)) else 1
        elif not (item is None or item is Ellipsis or isinstance(item, (bool, np.bool_))):
            count += 1
    return count


def _select(i: int, shape: tuple, k: int) -> int:
    if k >= len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    n = shape[k]
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {k} with size {n}")
    return i


def _check_slice(item: slice) -> None:
    if item.step is not None and int(item.step) <= 0:
        if int(item.step) == 0:
            raise ValueError("slice step cannot be zero")
        raise ValueError(f"step must be greater than zero; got {item}: flip the tensor instead (x.flip(dim))")


def plan_index(shape: tuple, index) -> IndexPlan:
    """The two numpy indexes that give torch's `x[index]` for x of this shape.

    Errors come in torch's order: a lone slice's step; too many indices; then item by item
    (ints out of range, slice steps, dims inserted past the end); then the index tensors
    (dtype, mask shape).

    Raises:
        IndexError: too many indices, an index out of range, a mask of the wrong shape, a
            float index or index tensor.
        ValueError: a slice step <= 0.
        TypeError: a string index.
    """
    if isinstance(index, slice):
        _check_slice(index)
    items = _items(index)
    ndim = len(shape)
    specified = _specified_dims(items)
    if specified > ndim:
        if ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python to convert a "
                "0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}; got {specified}")
    basic, view_shape, advanced = [], [], {}  # advanced: view dim -> (input dim, index array)
    k = 0  # the next dim of the input (past the end after a second Ellipsis, as in torch)

    def new_dim(index_array=None):
        if k > ndim:
            raise IndexError(f"Dimension out of range: an Ellipsis skipped past the {ndim} dims")
        if index_array is not None:
            advanced[len(view_shape)] = (None, index_array)  # indexes the new dim, nothing to check
        basic.append(None)
        view_shape.append(1)

    for item in items:
        if item is None:
            new_dim()
        elif item is Ellipsis:
            skip = ndim - specified
            basic.extend([_FULL] * min(skip, max(ndim - k, 0)))
            view_shape.extend(shape[k : k + skip])
            k += skip
        elif isinstance(item, (bool, np.bool_)):
            new_dim(np.zeros(1 if item else 0, np.int64))  # True: [0] on a new dim, False: []
        elif isinstance(item, (int, np.integer)):
            basic.append(_select(int(item), shape, k))
            k += 1
        elif isinstance(item, slice):
            _check_slice(item)
            if k >= ndim:
                raise IndexError(f"too many indices for tensor of dimension {ndim}")
            basic.append(item)
            view_shape.append(len(range(*item.indices(shape[k]))))
            k += 1
        elif isinstance(item, str) or not isinstance(item, (Tensor, np.ndarray, list, tuple, range)):
            error = TypeError if isinstance(item, str) else IndexError
            raise error(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors "
                f"are valid indices (got {type(item).__name__})"
            )
        else:
            array = _index_array(item)
            if array.ndim == 0 and array.dtype.kind in "iu" and not _is_mask(array):
                basic.append(_select(int(array), shape, k))  # a 0-d int tensor selects like an int
                k += 1
            elif array.ndim == 0 and _is_mask(array):
                new_dim(np.zeros(1 if array else 0, np.int64))
            else:
                n = array.ndim if _is_mask(array) else 1
                advanced[len(view_shape)] = (k, array)
                basic.extend([_FULL] * min(n, max(ndim - k, 0)))
                view_shape.extend(shape[k : k + n])
                k += n
    for k, array in advanced.values():  # torch checks index tensors only now, in `index`
        if k is not None:
            _check_index_array(array, shape, k)
    if not advanced:
        return IndexPlan(tuple(basic), None)
    return IndexPlan(tuple(basic), _advanced_index({d: a for d, (_, a) in advanced.items()}))


def _check_index_array(array: np.ndarray, shape: tuple, k: int) -> None:
    if array.dtype.kind not in "biu":
        raise IndexError(
            "tensors used as indices must be long, int, byte or bool tensors; "
            f"got dtype {array.dtype} (cast with .long() or compare to make a mask)"
        )
    n = array.ndim if _is_mask(array) else 1
    if k + n > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if _is_mask(array) and tuple(shape[k : k + n]) != array.shape:
        raise IndexError(
            f"The shape of the mask {list(array.shape)} does not match the shape of the indexed "
            f"tensor {list(shape)} at index {k}"
        )


def _advanced_index(advanced: dict) -> tuple:
    """The second-step numpy index: masks expanded to their nonzero positions."""
    out, dim, last = [], 0, max(advanced)
    while dim <= last:
        array = advanced.get(dim)
        if array is None:
            out.append(_FULL)
            dim += 1
        elif _is_mask(array):
            out.extend(np.nonzero(array))
            dim += array.ndim
        else:
            out.append(array)
            dim += 1
    return tuple(out)


def take(view: np.ndarray, advanced: tuple) -> np.ndarray:
    """view[advanced], except that torch checks index ranges only for elements it reads: an
    empty result never raises, unless an index tensor points into a dim of size 0."""
    try:
        return view[advanced]
    except IndexError:
        if view.size:
            raise
    for dim, item in enumerate(advanced):
        if isinstance(item, np.ndarray) and item.size and view.shape[dim] == 0:
            raise IndexError(f"index is out of bounds for dimension {dim} with size 0")
    return np.zeros(advanced_shape(view.shape, advanced), view.dtype)


def advanced_shape(view_shape: tuple, advanced: tuple) -> tuple:
    """The shape of view[advanced]: the broadcast index shape in place of the indexed dims when
    they are adjacent, in front otherwise (numpy's and torch's rule)."""
    arrays = [d for d, item in enumerate(advanced) if isinstance(item, np.ndarray)]
    shapes = [advanced[d].shape for d in arrays]
    try:
        broadcast = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(shape)) for shape in shapes)
        ) from None
    if arrays[-1] - arrays[0] + 1 == len(arrays):
        return tuple(view_shape[: arrays[0]]) + broadcast + tuple(view_shape[arrays[-1] + 1 :])
    return broadcast + tuple(n for d, n in enumerate(view_shape) if d not in arrays)


def is_basic(index) -> bool:
    """Whether numpy's meaning of `index` is torch's: ints and slices with positive steps."""
    kind = type(index)
    if kind is int:
        return True
    if kind is slice:
        return index.step is None or (type(index.step) is int and index.step > 0)
    if kind is tuple:
        for item in index:
            kind = type(item)
            if kind is not int and not (
                kind is slice and (item.step is None or (type(item.step) is int and item.step > 0))
            ):
                return False
        return True
    return False

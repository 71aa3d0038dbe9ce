"""Shape ops: reshape, permute, expand, cat, stack, and composites (transpose, flatten, ...)."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import unbroadcast


def normalize_dim(dim: int, ndim: int, extra: int = 0) -> int:
    """`dim` as a non-negative axis of an `ndim + extra`-dimensional result.

    Raises:
        IndexError: `dim` is outside [-n, n - 1] for n = max(ndim + extra, 1), torch's message.
    """
    n = max(ndim + extra, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n



def _shape_arg(shape) -> tuple:
    # Accept reshape(2, 3) as well as reshape((2, 3)).
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    """out = a with the same elements in a new shape (a view when numpy can make one)."""

    __slots__ = ("shape", "in_shape")

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        try:
            return np.reshape(a, self.shape)
        except ValueError:
            raise RuntimeError(
                f"shape '{list(self.shape)}' is invalid for input of size {a.size}"
            ) from None

    def backward(self, grad):
        return (np.reshape(grad, self.in_shape),)


class Permute(Function):
    """out = a with its axes reordered: out.shape[i] = a.shape[dims[i]]."""

    __slots__ = ("dims",)

    def __init__(self, dims: tuple):
        self.dims = dims

    def forward(self, a):
        return np.transpose(a, self.dims)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.dims)),)


class Expand(Function):
    """out = a broadcast to `shape` without copying; the gradient sums back."""

    __slots__ = ("shape", "in_shape")

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        try:
            return np.broadcast_to(a, self.shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor must match the existing size at non-singleton "
                f"dimensions; cannot expand {a.shape} to {self.shape}"
            ) from None

    def backward(self, grad):
        return (unbroadcast(grad, self.in_shape),)


class Cat(Function):
    """out = the inputs joined along `axis` (all other dims must match); inputs marked in
    `skip` (torch's legacy 1-D empty tensors) take no part and get empty gradients."""

    __slots__ = ("axis", "sizes", "skip")

    def __init__(self, axis: int, skip: tuple = ()):
        self.axis, self.skip = axis, skip

    def forward(self, *arrays):
        if self.skip:
            arrays = [a for a, s in zip(arrays, self.skip, strict=True) if not s]
        self.sizes = [a.shape[self.axis] for a in arrays]
        try:
            return np.concatenate(arrays, axis=self.axis)
        except ValueError as error:
            raise RuntimeError(f"cat: sizes of tensors must match except in dim {self.axis}; {error}") from None

    def backward(self, grad):
        bounds = np.cumsum(self.sizes)[:-1]
        pieces = iter(np.split(grad, bounds, axis=self.axis))
        if not self.skip:
            return tuple(pieces)
        return tuple(np.zeros((0,), grad.dtype) if s else next(pieces) for s in self.skip)


class Stack(Function):
    """out = the same-shaped inputs stacked along a new `axis`."""

    __slots__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *arrays):
        try:
            return np.stack(arrays, axis=self.axis)
        except ValueError:
            shapes = [a.shape for a in arrays]
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {shapes}") from None

    def backward(self, grad):
        lead = (slice(None),) * self.axis
        return tuple(grad[lead + (i,)] for i in range(grad.shape[self.axis]))


def reshape(a: Tensor, shape) -> Tensor:
    """View `a` as `shape` (one entry may be -1).

    Raises:
        RuntimeError: the element count does not match, torch's message.
    """
    return Reshape(_shape_arg(shape))(a)


def permute(a: Tensor, dims) -> Tensor:
    """Reorder axes; `dims` must be a permutation of range(a.ndim)."""
    dims = tuple(normalize_dim(d, a.ndim) for d in _shape_arg(dims))
    if sorted(dims) != list(range(a.ndim)):
        raise RuntimeError(f"permute(): dims {dims} are not a permutation of {a.ndim} dims")
    return Permute(dims)(a)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two axes (a 0-d tensor takes dims 0 and -1 and stays as it is, as in torch)."""
    dims = list(range(a.ndim))
    if a.ndim == 0:
        normalize_dim(dim0, 0), normalize_dim(dim1, 0)
        return Permute(())(a)
    d0, d1 = normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute(tuple(dims))(a)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one.

    Raises:
        IndexError: a dim out of range.
        RuntimeError: start_dim after end_dim.
    """
    start, end = normalize_dim(start_dim, a.ndim), normalize_dim(end_dim, a.ndim)
    if a.ndim == 0:
        return reshape(a, (1,))  # () -> (1,)
    if start > end:
        raise RuntimeError(f"flatten() has invalid args: start_dim cannot come after end_dim; got start_dim="
                           f"{start_dim}, end_dim={end_dim} for {a.ndim} dims")
    shape = a.shape[:start] + (-1,) + a.shape[end + 1 :]  # (..., prod(shape[start:end+1]), ...)
    if any(n == 0 for n in a.shape):
        shape = a.shape[:start] + (int(np.prod(a.shape[start : end + 1])),) + a.shape[end + 1 :]
    return Reshape(shape)(a)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a size-1 axis at `dim`."""
    d = normalize_dim(dim, a.ndim, extra=1)
    return Reshape(a.shape[:d] + (1,) + a.shape[d:])(a)  # (..., 1, ...)


def squeeze(a: Tensor, dim=None) -> Tensor:
    """Drop size-1 axes (only those in `dim`, an int or a tuple, when given; others stay).

    Raises:
        IndexError: a dim out of range.
        RuntimeError: a dim given twice.
    """
    if dim is None:
        shape = tuple(n for n in a.shape if n != 1)
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        axes = {normalize_dim(int(d), a.ndim) for d in dims}
        if len(axes) != len(dims):
            raise RuntimeError(f"dim appears multiple times in the list of dims; got {dims}")
        shape = tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1))
    return Reshape(shape)(a)  # a.shape without the dropped 1s


def expand(a: Tensor, sizes) -> Tensor:
    """Broadcast to `sizes`; -1 keeps a dim.

    Raises:
        RuntimeError: fewer sizes than dims, -1 in a new leading dim, a negative size, or a
            non-1 dim asked to change.
    """
    sizes = _shape_arg(sizes)
    lead = len(sizes) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({a.ndim})")
    for i, n in enumerate(sizes):
        if n < 0 and (i < lead or n != -1):
            raise RuntimeError(f"expand: the expanded size {n} is not allowed at dim {i} of {list(sizes)} (-1 keeps "
                               f"an existing dim; new leading dims need a size >= 0)")
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return Expand(shape)(a)


def _common_dtype(tensors: tuple) -> tuple:
    # torch's cat and stack promote their inputs to one dtype (int64 + float32 -> float32).
    first = tensors[0].dtype
    if all(t.dtype == first for t in tensors):
        return tensors
    from .promotion import promote_types
    from .unary import Cast

    dtype = first
    for t in tensors[1:]:
        dtype = promote_types(dtype, t.dtype)
    return tuple(t if t.dtype == dtype else Cast(dtype)(t) for t in tensors)


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dim (mixed dtypes promote, as in torch)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    skip = tuple(t.shape == (0,) for t in tensors)  # torch still skips 1-D empty tensors (legacy)
    kept = [t for t, s in zip(tensors, skip, strict=True) if not s]
    if not kept:  # only legacy empties: torch ignores dim
        return Cat(0)(*_common_dtype(tensors))
    if not any(skip):
        return Cat(normalize_dim(dim, tensors[0].ndim))(*_common_dtype(tensors))
    return Cat(normalize_dim(dim, kept[0].ndim), skip)(*_common_dtype(tensors))


def stack(tensors, dim: int = 0) -> Tensor:
    """Stack same-shaped tensors along a new dim (mixed dtypes promote, as in torch)."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    return Stack(normalize_dim(dim, tensors[0].ndim, extra=1))(*_common_dtype(tensors))


def split(a: Tensor, split_size, dim: int = 0) -> tuple:
    """Split into pieces of `split_size` (int) or of the given sizes (list) along `dim`.

    Raises:
        RuntimeError: a 0-d tensor, a split_size < 1 (0 only for an empty dim), or sizes that
            do not add up to the dim.
    """
    if a.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor; got a 0-d tensor")
    d = normalize_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(split_size, (int, np.integer)):
        if split_size < 0 or split_size == 0 and n:
            raise RuntimeError(f"split expects split_size be non-negative (0 only for an empty dim), but got "
                               f"split_size={split_size} for a dim of size {n}")
        count = max(-(-n // split_size), 1) if split_size else 1
        sizes = [split_size] * count
        sizes[-1] = n - split_size * (count - 1)
    else:
        sizes = [int(s) for s in split_size]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries; got {sizes}")
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n}; got {sizes}")
    lead, pieces, start = (slice(None),) * d, [], 0
    for size in sizes:
        pieces.append(a[lead + (slice(start, start + size),)])
        start += size
    return tuple(pieces)



def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` pieces of equal size (the last may be smaller), as torch; an empty
    dim gives `chunks` empty pieces.

    Raises:
        RuntimeError: a 0-d tensor or chunks < 1.
    """
    if a.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor; got a 0-d tensor")
    if chunks < 1:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = a.shape[normalize_dim(dim, a.ndim)]
    if n == 0:
        return split(a, [0] * chunks, dim)
    return split(a, -(-n // chunks), dim)


class Flip(Function):
    """out = a reversed along `axes` (a copy, as torch's flip); the gradient flips back."""

    __slots__ = ("axes",)

    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, a):
        return np.flip(a, self.axes).copy()

    def backward(self, grad):
        return (np.flip(grad, self.axes),)


class Repeat(Function):
    """out = a tiled `repeats` times along each dim (a is first viewed with leading 1s).

    The gradient sums the copies: grad viewed as (r0, n0, r1, n1, ...) summed over the r's.
    """

    __slots__ = ("repeats", "in_shape")

    def __init__(self, repeats: tuple):
        self.repeats = repeats

    def forward(self, a):
        self.in_shape = a.shape
        lead = (1,) * (len(self.repeats) - a.ndim)
        return np.tile(a.reshape(lead + a.shape), self.repeats)

    def backward(self, grad):
        sizes = (1,) * (len(self.repeats) - len(self.in_shape)) + self.in_shape
        interleaved = [n for pair in zip(self.repeats, sizes, strict=True) for n in pair]
        summed = grad.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))  # (r0, n0, r1, n1, ...)
        return (summed.reshape(self.in_shape),)


def flip(a: Tensor, dims) -> Tensor:
    """Reverse the order of elements along each dim in `dims` (a tuple or list of ints).

    Raises:
        TypeError: `dims` is an int (torch takes a tuple: flip(x, (0,))).
        RuntimeError: a dim given twice.
    """
    if isinstance(dims, (int, np.integer)):
        raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not int; write flip(x, ({dims},))")
    axes = tuple(normalize_dim(int(d), a.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        twice = next(d for d in axes if axes.count(d) > 1)
        raise RuntimeError(f"dim {twice} appears multiple times in the list of dims; got {tuple(dims)}")
    if a.ndim == 0:
        axes = ()
    return Flip(axes)(a)


def repeat(a: Tensor, *sizes) -> Tensor:
    """Tile `a`: `repeat(x, 2, 3)` on (n, m) gives (2n, 3m); extra leading sizes add dims.

    Raises:
        RuntimeError: fewer sizes than a has dims.
    """
    repeats = _shape_arg(sizes)
    if len(repeats) < a.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            f"tensor; got repeats {repeats} for shape {a.shape}"
        )
    return Repeat(tuple(int(r) for r in repeats))(a)

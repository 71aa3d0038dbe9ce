"""The Tensor (a numpy array plus the Function that made it) and the Function base class."""

from __future__ import annotations

import numpy as np

from . import autograd


class Function:
    """One differentiable operation: `forward` on arrays, `backward` on the output gradient.

    Subclasses keep what backward needs on `self` (their `__slots__`). Calling an instance on
    tensors runs `forward` and, when grad mode is on and an input requires grad, records the
    instance as the output's `_ctx` so that `Tensor.backward` can call its `backward`.
    """

    __slots__ = ("inputs",)

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple:
        """Return one gradient (or None) per input, each shaped like that input."""
        raise NotImplementedError

    def __call__(self, *inputs: Tensor) -> Tensor:
        out = Tensor.__new__(Tensor)
        out.data = self.forward(*[t.data for t in inputs])
        out.grad = None
        if autograd._grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    self.inputs = inputs
                    out.requires_grad = True
                    out._ctx = self
                    return out
        out.requires_grad = False
        out._ctx = None
        return out


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(d) for d in data]
    return data


def _check_rectangular(data) -> tuple:
    """The shape torch reads off a nested list (the first element at each level sets it), and
    torch's errors when the list is ragged (unless the shape holds a 0: torch then reads nothing)."""
    shape, first = [], data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]

    def walk(item, dim: int) -> None:
        if dim == len(shape):
            if isinstance(item, (list, tuple)):
                raise TypeError(f"'list' object cannot be interpreted as a number at dim {dim}: the list is ragged")
            return
        if not isinstance(item, (list, tuple)):
            raise TypeError(f"not a sequence: got {item!r} at dim {dim} where a list of {shape[dim]} was expected")
        if len(item) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})")
        for element in item:
            walk(element, dim + 1)

    if 0 not in shape:
        walk(data, 0)
    return tuple(shape)


def _first_leaf_is_tensor(data) -> bool:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, Tensor)


def _nested_dtype(data) -> np.dtype:
    """torch's dtype for a nested list holding tensors: their dtypes and the numbers' defaults
    (bool, int64, float32) promoted together."""
    from .ops.promotion import promote_types

    if isinstance(data, (list, tuple)):
        dtypes = [_nested_dtype(d) for d in data]
        out = dtypes[0] if dtypes else np.dtype(np.float32)
        for d in dtypes[1:]:
            out = promote_types(out, d)
        return out
    if isinstance(data, (Tensor, np.ndarray, np.generic)):
        return data.dtype
    if isinstance(data, bool):
        return np.dtype(bool)
    return np.dtype(np.int64) if isinstance(data, int) else np.dtype(np.float32)


def _to_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data, dtype=dtype)
    try:
        array = np.asarray(data, dtype=dtype) if not _first_leaf_is_tensor(data) else np.empty(0, object)
    except ValueError:
        shape = _check_rectangular(data)  # raises torch's TypeError or ValueError for a ragged list
        if 0 in shape:  # torch reads no element of an empty result, so it never sees the raggedness
            return np.zeros(shape, dtype or np.float32)
        raise
    if array.dtype == object:  # a list holding tensors (torch.tensor([t0, t1]))
        inferred = _nested_dtype(data)
        if dtype is not None and np.dtype(dtype).kind in "biu" and inferred.kind == "f":
            raise TypeError(f"only integer tensors of a single element can be converted to an index; got float "
                            f"tensors in a list for dtype {np.dtype(dtype)} (convert them with .long() first)")
        array = np.asarray(_unwrap_nested(data), dtype=dtype)
        return array if dtype is not None else array.astype(inferred)
    if dtype is None and array.dtype == np.float64:
        array = array.astype(np.float32)  # Python floats become float32, torch's default dtype
    return array


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autograd.

    Args:
        data: array-like; numpy arrays keep their dtype (and memory), Python floats become
            float32 and Python ints int64, as in torch.
        dtype: optional numpy dtype to convert to.
        requires_grad: whether `backward` should fill `.grad` for this tensor.

    Raises:
        RuntimeError: `requires_grad=True` on a non-floating-point tensor.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # make `ndarray + Tensor` defer to Tensor.__radd__

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"Only Tensors of floating point dtype can require gradients; got {self.data.dtype}"
            )
        self.grad = None
        self.requires_grad = requires_grad
        self._ctx = None

    # ---- properties -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def T(self) -> Tensor:
        return _shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[_shape.normalize_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(np.asarray(self.data), separator=', ')}, dtype={self.dtype}{grad})"

    __hash__ = object.__hash__  # __eq__ is elementwise, identity still names the tensor

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.data.size} values is ambiguous"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self._single("float"))

    def __int__(self) -> int:
        return int(self._single("int"))

    def __index__(self) -> int:
        """Lets a one-element integer tensor index a list or array (torch: TypeError otherwise)."""
        if self.data.size != 1 or self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of a single element can be converted to an index; got "
                            f"{self.data.dtype} with {self.data.size} elements")
        return int(self.data.item())

    def _single(self, name: str):
        if self.data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars; {name}() got "
                             f"{self.data.size} elements (use .tolist())")
        return self.data.item()

    # ---- leaving the graph -------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """Return the underlying array (shared memory, like torch)."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return np.asarray(self.data)

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.data.item()

    def tolist(self):
        return np.asarray(self.data).tolist()

    def detach(self) -> Tensor:
        """Return a tensor sharing this data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place. Raises RuntimeError for True on a non-float tensor, as torch."""
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients; got {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self); may be omitted only when `self` has one element.
            retain_graph: keep the graph's saved arrays for another backward (torch's default:
                free them, and raise if the graph is walked again).

        Raises:
            RuntimeError: `self` does not require grad, or is not a scalar and no gradient is given.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape {self.shape}"
                )
            grad = np.ones(self.shape, dtype=self.dtype)
        else:
            grad = np.broadcast_to(_to_array(gradient, self.dtype), self.shape)
        if self._ctx is None:
            self.grad = Tensor(grad.copy()) if self.grad is None else Tensor(self.grad.data + grad)
            return
        autograd.backward(self, grad, bool(retain_graph))

    # ---- dtype and device -------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """A tensor of another dtype (numpy dtype, or another tensor's); "cpu" is accepted and ignored.

        Raises:
            RuntimeError: a device other than the CPU.
        """
        dtype = kwargs.get("dtype")
        for arg in (*args, kwargs.get("device")):
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str):
                if arg.split(":")[0] != "cpu":
                    raise RuntimeError(f"shendu.scratch runs on the CPU only; got device {arg!r}")
            elif arg is not None:
                dtype = arg
        if dtype is None or self.dtype == dtype:
            return self
        if np.dtype(dtype).kind != "f":  # integer and bool results leave the graph, as in torch
            return Tensor(self.data.astype(dtype))
        return _un.Cast(dtype)(self)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def new_zeros(self, *size, dtype=None) -> Tensor:
        return Tensor(np.zeros(_new_shape(_shape._shape_arg(size)), dtype or self.dtype))

    def new_ones(self, *size, dtype=None) -> Tensor:
        return Tensor(np.ones(_new_shape(_shape._shape_arg(size)), dtype or self.dtype))

    def new_full(self, size, fill_value, dtype=None) -> Tensor:
        return Tensor(np.full(_new_shape(tuple(size)), fill_value, dtype or self.dtype))

    def new_tensor(self, data, dtype=None) -> Tensor:
        return Tensor(np.array(data.data) if isinstance(data, Tensor) else data, dtype=dtype or self.dtype)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    def clone(self) -> Tensor:
        return _un.Cast(self.dtype)(self)

    # ---- operators (each is the op of the same name below, torch's type promotion) -----------
    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(self, other)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.rsub(self, other)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(self, other)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.rdiv(self, other)

    def __floordiv__(self, other):
        return _div.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _div.rfloor_divide(self, other)

    def __mod__(self, other):
        return _div.remainder(self, other)

    def __rmod__(self, other):
        return _div.rremainder(self, other)

    def __pow__(self, exponent):
        return _pow.pow(self, exponent)

    def __rpow__(self, base):
        return _pow.rpow(self, base)

    def __neg__(self):
        return _un.neg(self)

    def __pos__(self):
        if self.data.dtype == np.bool_:
            raise NotImplementedError("The `+` operator, on a bool tensor is not supported (as in torch); "
                                      "convert with .long() first")
        return self

    def __abs__(self):
        return _un.abs(self)

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~ (operator.invert) is only implemented on integer and Boolean-type tensors; got "
                            f"{self.data.dtype} (use logical_not() or compare first)")
        return _cmp.bitwise_not(self)

    def __and__(self, other):
        return _cmp.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _cmp.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _cmp.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __matmul__(self, other):
        return _mm.matmul(self, other)

    def __rmatmul__(self, other):
        return _mm.matmul(other if isinstance(other, Tensor) else Tensor(other), self)

    # Comparisons promote like arithmetic and give bool tensors outside the graph, as in torch;
    # against None or a string, == is False and != True (Python's fallback).
    def __lt__(self, other):
        return _cmp.lt(self, other) if _comparable(other) else NotImplemented

    def __le__(self, other):
        return _cmp.le(self, other) if _comparable(other) else NotImplemented

    def __gt__(self, other):
        return _cmp.gt(self, other) if _comparable(other) else NotImplemented

    def __ge__(self, other):
        return _cmp.ge(self, other) if _comparable(other) else NotImplemented

    def __eq__(self, other):
        return _cmp.eq(self, other) if _comparable(other) else NotImplemented

    def __ne__(self, other):
        return _cmp.ne(self, other) if _comparable(other) else NotImplemented

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ---- methods whose arguments differ from their function forms ---------------------------
    def clamp(self, min=None, max=None):
        return _un.clamp(self, min, max)

    clip = clamp

    def softmax(self, dim: int):
        return _act.softmax(self, dim)

    def log_softmax(self, dim: int):
        return _act.log_softmax(self, dim)

    def max(self, dim=None, keepdim: bool = False):
        return _ext.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        return _ext.min(self, dim, keepdim)

    def where(self, condition, other):
        return _ew.where(condition, self, other)

    def mm(self, other: Tensor) -> Tensor:
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: both arguments must be 2-D; got shapes {self.shape} and {other.shape}")
        return _mm.matmul(self, other)

    def bmm(self, other: Tensor) -> Tensor:
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"bmm: both arguments must be 3-D with the same batch size; got {self.shape} and {other.shape}"
            )
        return _mm.matmul(self, other)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _var.std(self, dim, unbiased, keepdim, correction=correction)

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _var.var(self, dim, unbiased, keepdim, correction=correction)

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return _shape.reshape(self, shape)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return _shape.reshape(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other: Tensor) -> Tensor:
        return _shape.expand(self, other.shape)

    def t(self) -> Tensor:
        """Transpose a tensor of at most 2 dims (torch's t()).

        Raises:
            RuntimeError: more than 2 dims.
        """
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return _shape.transpose(self, 0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        return _shape.permute(self, dims)

    def flip(self, *dims):
        if not dims:
            raise TypeError("flip() missing 1 required positional argument: 'dims' (e.g. x.flip(0))")
        return _shape.flip(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def repeat(self, *sizes):
        return _shape.repeat(self, *sizes)

    def expand(self, *sizes):
        return _shape.expand(self, sizes)

    def __getitem__(self, index):
        return _index.getitem(self, index)


def _new_shape(size: tuple) -> tuple:
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return size


def _comparable(other) -> bool:
    return isinstance(other, (Tensor, np.ndarray, int, float, np.generic, list, tuple))


# Imported last: the op modules subclass Function and build Tensors, both defined above.
from .ops import activation as _act  # noqa: E402
from .ops import compare as _cmp  # noqa: E402
from .ops import division as _div  # noqa: E402
from .ops import elementwise as _ew  # noqa: E402
from .ops import extremes as _ext  # noqa: E402
from .ops import index as _index  # noqa: E402
from .ops import matmul as _mm  # noqa: E402
from .ops import power as _pow  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import unary as _un  # noqa: E402
from .ops import variance as _var  # noqa: E402

# isort: split
# The method forms and the in-place methods: tensor_methods attaches them to Tensor.
from . import tensor_methods  # noqa: E402, F401

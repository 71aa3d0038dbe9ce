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


def _to_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data, dtype=dtype)
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
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __index__ = __int__  # lets a 0-d integer tensor index a list or array

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

    # ---- dtype -------------------------------------------------------------------------------
    def to(self, dtype) -> Tensor:
        return self if self.dtype == dtype else _un.Cast(dtype)(self)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def clone(self) -> Tensor:
        return _un.Cast(self.dtype)(self)

    # ---- arithmetic --------------------------------------------------------------------------
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

    def __pow__(self, exponent):
        return _ew.pow(self, exponent)

    def __rpow__(self, base):
        return _ew.rpow(self, base)

    def __neg__(self):
        return _un.neg(self)

    def __matmul__(self, other):
        return _mm.matmul(self, other)

    def __rmatmul__(self, other):
        return _mm.matmul(Tensor(other), self)

    # Comparisons produce bool tensors outside the graph, as in torch.
    def __lt__(self, other):
        return Tensor(self.data < _ew.data_of(other))

    def __le__(self, other):
        return Tensor(self.data <= _ew.data_of(other))

    def __gt__(self, other):
        return Tensor(self.data > _ew.data_of(other))

    def __ge__(self, other):
        return Tensor(self.data >= _ew.data_of(other))

    def __eq__(self, other):
        return Tensor(self.data == _ew.data_of(other))

    def __ne__(self, other):
        return Tensor(self.data != _ew.data_of(other))

    # ---- elementwise math --------------------------------------------------------------------
    def exp(self):
        return _un.exp(self)

    def log(self):
        return _un.log(self)

    def sqrt(self):
        return _un.sqrt(self)

    def abs(self):
        return _un.abs(self)

    def clamp(self, min=None, max=None):
        return _un.clamp(self, min, max)

    clip = clamp

    def pow(self, exponent):
        return _ew.pow(self, exponent)

    def matmul(self, other):
        return _mm.matmul(self, other)

    def relu(self):
        return _act.relu(self)

    def sigmoid(self):
        return _act.sigmoid(self)

    def tanh(self):
        return _act.tanh(self)

    def softmax(self, dim: int):
        return _act.softmax(self, dim)

    def log_softmax(self, dim: int):
        return _act.log_softmax(self, dim)

    # ---- reductions --------------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False):
        return _red.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        return _red.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim: bool = False):
        return _red.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        return _red.min(self, dim, keepdim)

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _red.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _red.var(self, dim, unbiased, keepdim, correction=correction).sqrt()

    def argmax(self, dim=None, keepdim: bool = False):
        return _red.argmax(self, dim, keepdim)

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return _shape.reshape(self, shape)

    view = reshape

    def transpose(self, dim0: int, dim1: int):
        return _shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _shape.permute(self, dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _shape.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int):
        return _shape.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def expand(self, *sizes):
        return _shape.expand(self, sizes)

    def chunk(self, chunks: int, dim: int = 0):
        return _shape.chunk(self, chunks, dim)

    def split(self, split_size, dim: int = 0):
        return _shape.split(self, split_size, dim)

    def __getitem__(self, index):
        return _index.getitem(self, index)

    # ---- in place, outside the graph (initialization, masking data) -------------------------
    def _check_in_place(self) -> None:
        if self.requires_grad and autograd._grad_enabled:
            raise RuntimeError(
                "a Tensor that requires grad is being used in an in-place operation; "
                "wrap it in `with scratch.no_grad():` or write to `.data`"
            )

    def __setitem__(self, index, value) -> None:
        self._check_in_place()
        self.data[_index.unwrap_index(index)] = _ew.data_of(value)

    def fill_(self, value) -> Tensor:
        self._check_in_place()
        self.data[...] = value
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, source) -> Tensor:
        self._check_in_place()
        self.data[...] = _ew.data_of(source)
        return self


# Imported last: the op modules subclass Function and build Tensors, both defined above.
from .ops import activation as _act  # noqa: E402
from .ops import elementwise as _ew  # noqa: E402
from .ops import index as _index  # noqa: E402
from .ops import matmul as _mm  # noqa: E402
from .ops import reduce as _red  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import unary as _un  # noqa: E402

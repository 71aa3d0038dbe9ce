"""Matrix products: batched `matmul` (numpy broadcasting rules) and the fused `linear`.

The products go through `blas.matmul`, which keeps OpenBLAS's own threads asleep and shares
large products out among the threads of `set_num_threads`.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .blas import matmul as _product
from .elementwise import unbroadcast


def _matmul_error(a: np.ndarray, b: np.ndarray) -> RuntimeError:
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied: {tuple(a.shape)} @ {tuple(b.shape)} needs "
        f"a.shape[-1] ({a.shape[-1]}) == b.shape[{-2 if b.ndim > 1 else 0}] "
        f"({b.shape[-2] if b.ndim > 1 else b.shape[0]}), and batch dims that broadcast"
    )


class MatMul(Function):
    """out = a @ b, batched over leading dims that broadcast; 1-D operands act as vectors."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return _product(a, b)
        except ValueError:
            raise _matmul_error(a, b) from None

    def backward(self, grad):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:
            ga = _product(grad, b.T) if self.inputs[0].requires_grad else None
            gb = _product(a.T, grad) if self.inputs[1].requires_grad else None
            return ga, gb
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if self.inputs[0].requires_grad else None,
                    grad * a if self.inputs[1].requires_grad else None)
        # Promote vectors to matrices so one rule covers every case: a (.., n, k), b (.., k, m).
        a2 = a[None, :] if a.ndim == 1 else a  # (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k, 1)
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)  # (.., 1, m)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)  # (.., n, 1)
        ga = gb = None
        if self.inputs[0].requires_grad:
            ga = unbroadcast(_product(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)  # drop the promoted axis
        if self.inputs[1].requires_grad:
            gb = unbroadcast(_product(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)  # drop the promoted axis
        return ga, gb


class Linear(Function):
    """out = x @ weight.T + bias, one fused op (one BLAS call each way).

    Shapes: x (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> out (*, out_features).
    """

    __slots__ = ("x", "weight")

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        try:
            out = _product(x, weight.T)
        except ValueError:
            rows = x.size // x.shape[-1] if x.ndim and x.shape[-1] else x.size
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1] if x.ndim else 1} "
                f"and {weight.shape[1]}x{weight.shape[0]}): the input's last dim must equal "
                f"in_features={weight.shape[1]}"
            ) from None
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight = self.x, self.weight
        gx = _product(grad, weight) if self.inputs[0].requires_grad else None
        g2 = grad.reshape(-1, grad.shape[-1])  # (N, out) with N = prod of leading dims
        x2 = x.reshape(-1, x.shape[-1])  # (N, in)
        gw = _product(g2.T, x2) if self.inputs[1].requires_grad else None
        if len(self.inputs) == 2:
            return gx, gw
        gb = g2.sum(axis=0) if self.inputs[2].requires_grad else None
        return gx, gw, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with torch.matmul's rules.

    Raises:
        RuntimeError: inner dims differ, batch dims do not broadcast, or an operand is 0-d.
    """
    return MatMul()(a, b)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, as torch.nn.functional.linear.

    Raises:
        RuntimeError: x.shape[-1] != weight.shape[1], or x and weight differ in dtype.
    """
    if x.data.dtype != weight.data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {x.dtype} and {weight.dtype}")
    return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)

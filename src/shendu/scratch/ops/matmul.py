"""Matrix products: batched `matmul` (numpy broadcasting rules) and the fused `linear`.

The products go through `blas.matmul`, which keeps OpenBLAS's own threads asleep and shares
large products out among the threads of `set_num_threads`.

Both operands must have one dtype (torch does not promote in a product), and bool products
raise NotImplementedError as torch's CPU kernels do. Which error torch raises for bool
operands depends on the kernel torch.matmul picks for the shapes (`torch_kernel`).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Function, Tensor
from .blas import matmul as _product
from .elementwise import unbroadcast


def _matmul_error(a_shape: tuple, b_shape: tuple) -> RuntimeError:
    if not a_shape or not b_shape:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {len(a_shape)}D and {len(b_shape)}D"
        )
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied: {tuple(a_shape)} @ {tuple(b_shape)} needs "
        f"a.shape[-1] ({a_shape[-1]}) == b.shape[{-2 if len(b_shape) > 1 else 0}] "
        f"({b_shape[-2] if len(b_shape) > 1 else b_shape[0]}), and batch dims that broadcast"
    )


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    """numpy's broadcast of two shapes, or None when they do not broadcast."""
    if a == b:
        return a
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    shorter = (1,) * (len(longer) - len(shorter)) + shorter
    if any(x != y and x != 1 and y != 1 for x, y in zip(longer, shorter, strict=True)):
        return None
    return tuple(y if x == 1 else x for x, y in zip(longer, shorter, strict=True))


def output_shape(a_shape: tuple, b_shape: tuple) -> tuple:
    """The shape of a @ b under torch.matmul's rules; RuntimeError when there is none."""
    if not a_shape or not b_shape or a_shape[-1] != b_shape[-2 if len(b_shape) > 1 else 0]:
        raise _matmul_error(a_shape, b_shape)
    batch = _broadcast(a_shape[:-2], b_shape[:-2])
    if batch is None:
        raise _matmul_error(a_shape, b_shape)
    return batch + a_shape[-2:-1] + b_shape[-1:] if len(b_shape) > 1 else batch + a_shape[-2:-1]


def torch_kernel(a_shape: tuple, b_shape: tuple, a_requires_grad: bool) -> str:
    """The CPU kernel torch.matmul sends these shapes to: "dot", "mv", "mm" or "bmm".

    torch folds a batch of matrices into the rows of one matrix (one mm or mv call) when the
    other operand is a vector or a matrix and the fold needs no copy of a contiguous tensor;
    a 2-D left operand is folded only when it requires grad. Everything else runs bmm.
    """
    if len(b_shape) == 1:
        return "dot" if len(a_shape) == 1 else "mv"
    if len(b_shape) == 2:
        return "mm"
    if len(a_shape) == 2:
        return "mm" if a_requires_grad else "bmm"
    if len(a_shape) == 1:  # b.mT (..., m, k) folds into (-1, k) rows when that is a view
        *batch, k, m = b_shape
        return "mv" if 0 in b_shape or k == 1 or m == 1 or math.prod(batch) == 1 else "bmm"
    return "bmm"


def check_operands(a: Tensor, b: Tensor, kernel: str, work: bool, name: str = "matmul") -> None:
    """The dtype errors torch's `kernel` raises; `work`: the product has something to compute.

    Raises:
        RuntimeError: the operands' dtypes differ.
        NotImplementedError: bool operands (torch's bmm refuses a bool left operand first).
    """
    fix = "convert first, e.g. `" + ("F.linear(x.float(), weight.float())`" if name == "linear" else "a.float() @ b.float()`")
    if a.dtype == bool and (kernel == "dot" and b.dtype == bool or kernel != "dot" and work
                            and (b.dtype == bool or kernel == "bmm")):
        raise NotImplementedError(
            f'"{kernel}" not implemented for bool: {name} expects numbers, got {a.dtype} and {b.dtype} '
            f"operands (torch has no bool matrix product); {fix}"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got {a.dtype} and {b.dtype}: {name} does not "
            f"promote its operands (as torch); {fix}"
        )


class MatMul(Function):
    """out = a @ b, batched over leading dims that broadcast; 1-D operands act as vectors."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return _product(a, b)
        except ValueError:
            raise _matmul_error(a.shape, b.shape) from None

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
        out = _product(x, weight.T)
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight = self.x, self.weight
        gx = _product(grad, weight) if self.inputs[0].requires_grad else None
        rows = math.prod(x.shape[:-1])  # N = prod of leading dims (-1 is ambiguous when a dim is 0)
        g2 = grad.reshape(rows, grad.shape[-1])  # (N, out)
        x2 = x.reshape(rows, x.shape[-1])  # (N, in)
        gw = _product(g2.T, x2) if self.inputs[1].requires_grad else None
        if len(self.inputs) == 2:
            return gx, gw
        gb = g2.sum(axis=0) if self.inputs[2].requires_grad else None
        return gx, gw, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with torch.matmul's rules.

    Raises:
        RuntimeError: inner dims differ, batch dims do not broadcast, an operand is 0-d, or
            the operands' dtypes differ.
        NotImplementedError: bool operands, where torch's kernel refuses them.
    """
    dtype = a.data.dtype
    if dtype == b.data.dtype and dtype.kind in "fiu":  # the usual call: only the shapes can be wrong
        return MatMul()(a, b)
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    out = output_shape(a_shape, b_shape)
    work = math.prod(out) > 0 and a_shape[-1] > 0
    check_operands(a, b, torch_kernel(a_shape, b_shape, a.requires_grad), work)
    return MatMul()(a, b)


def _fused(x: Tensor, bias: Tensor | None) -> bool:
    """Whether torch's linear adds the bias inside its addmm kernel, to the (N, out_features)
    rows of the output (a 2-D input, or a bias with one dim that is not 1), rather than
    in place after a matmul."""
    return bias is not None and (x.ndim == 2 or bias.ndim == 1 or sum(n != 1 for n in bias.shape) == 1)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether `shape` broadcasts to `target` without enlarging it (an in-place add)."""
    return len(shape) <= len(target) and all(s in (1, t) for s, t in zip(shape[::-1], target[::-1], strict=False))


def _check_bias(bias: Tensor, target: tuple, weight: Tensor) -> None:
    if not _broadcasts_to(bias.shape, target):
        expected = f"shape ({weight.shape[0]},)" if weight.ndim == 2 else "a 0-d bias"
        raise RuntimeError(
            f"linear: a bias of shape {tuple(bias.shape)} cannot be added to an output of shape {target} "
            f"without enlarging it; expected {expected}"
        )
    if bias.dtype != weight.dtype:
        raise RuntimeError(
            f"linear: bias and weight must have the same dtype, but got {bias.dtype} and {weight.dtype}; "
            f"convert the bias, e.g. `bias.to(weight.dtype)`"
        )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, as torch.nn.functional.linear.

    Shapes: x (*, in_features), weight (out_features, in_features), bias (out_features,) or
    anything that broadcasts to the output -> (*, out_features). A 1-D weight (in_features,)
    gives one output with no dim for it; torch takes a bias with it only where it adds the
    bias after the product (a bias whose dims are all 1, on an input that is not 2-D).

    Raises:
        RuntimeError: x.shape[-1] != in_features, a 0-d operand, a 1-D weight with a bias, a
            bias that does not broadcast to the output, or dtypes that differ.
        NotImplementedError: bool operands, where torch's kernel refuses them.
    """
    xd, wd = x.data, weight.data
    if (wd.ndim == 2 and xd.ndim and xd.dtype == wd.dtype and xd.dtype.kind in "fiu" and xd.shape[-1] == wd.shape[1]
            and (bias is None or bias.data.shape == wd.shape[:1] and bias.data.dtype == wd.dtype)):
        return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)  # the usual call: nothing to refuse
    if x.ndim == 0 or weight.ndim == 0 or weight.ndim > 2:
        raise RuntimeError(
            f"linear expects an input of at least 1 dim and a 1-D or 2-D weight (out_features, in_features); "
            f"got input of shape {tuple(x.shape)} and weight of shape {tuple(weight.shape)}"
        )
    if weight.ndim == 1 and _fused(x, bias):
        raise RuntimeError(
            f"mat2 must be a matrix, got 1-D tensor: linear with a 1-D weight {tuple(weight.shape)} takes no "
            f"bias of shape {tuple(bias.shape)} for a {x.ndim}-D input; use a (1, in_features) weight, or add "
            f"the bias after the call"
        )
    if x.shape[-1] != weight.shape[-1]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({math.prod(x.shape[:-1])}x{x.shape[-1]} and "
            f"{weight.shape[-1]}x{weight.shape[0] if weight.ndim == 2 else 1}): the input's last dim must equal "
            f"in_features={weight.shape[-1]}"
        )
    out_shape = (*x.shape[:-1], *weight.shape[:-1])  # (*, out_features), or (*) for a 1-D weight
    fused = _fused(x, bias)
    bias_target = (math.prod(x.shape[:-1]), weight.shape[0]) if fused else out_shape
    if fused:  # torch checks the bias before the product; otherwise when it adds it, after
        _check_bias(bias, bias_target, weight)
    if weight.ndim == 1:  # torch: matmul(x, weight.t()), then the bias
        out = matmul(x, weight)
        if bias is None:
            return out
        _check_bias(bias, out_shape, weight)
        return out + bias
    work = math.prod(out_shape) > 0 and x.shape[-1] > 0
    check_operands(x, weight, "mm", work, "linear")
    if x.dtype == bool and fused and not work and math.prod(out_shape) > 0:
        raise RuntimeError(
            "linear of bool tensors with in_features=0 and a bias: torch's addmm cannot add a bias to bools "
            "(result type Long can't be cast to Bool); convert first, e.g. `x.float()`"
        )
    if bias is not None and not fused:
        _check_bias(bias, out_shape, weight)
    if bias is None or bias.shape == weight.shape[:1]:
        return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)
    out = Linear()(x, weight)  # any other bias: added as torch adds it, to the output or to its (N, out) rows
    return out + bias if bias_target == out_shape else (out.reshape(bias_target) + bias).reshape(out_shape)

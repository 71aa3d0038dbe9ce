"""`normalize`: x / max(||x||_p, eps) along a dim, one op with a hand-derived backward."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor
from .shape import normalize_dim


class Normalize(Function):
    """out = x / d with d = max(||x||_p, eps) along `axis` (torch: x / norm.clamp_min(eps)).

    d out / dx = g / d - x sum(g x) / d^2 * dn/dx where n > eps (clamp_min's rule: 0 at the tie), with
    dn/dx = sign(x) |x|^(p-1) / n^(p-1) (0 where n = 0, as torch's norm backward); for p = inf
    the gradient is shared among the entries of largest |x|.
    """

    __slots__ = ("p", "axis", "eps", "x", "norm", "denom")

    def __init__(self, p: float, axis: int, eps: float):
        self.p, self.axis, self.eps = p, axis, eps

    def forward(self, x):
        p, axis = self.p, self.axis
        if p == 2:
            norm = np.sqrt((x * x).sum(axis=axis, keepdims=True))
        elif p == 1:
            norm = np.abs(x).sum(axis=axis, keepdims=True)
        elif p == np.inf:
            norm = np.abs(x).max(axis=axis, keepdims=True)
        else:
            norm = (np.abs(x) ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)
        self.x, self.norm, self.denom = x, norm, np.maximum(norm, self.eps)
        return x / self.denom

    def _norm_grad(self) -> np.ndarray:
        x, n, p = self.x, self.norm, self.p
        if p == np.inf:
            top = np.abs(x) == n
            return np.sign(x) * top / top.sum(axis=self.axis, keepdims=True)
        if p == 1:
            return np.sign(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = x / n if p == 2 else np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1)
            if p < 1:  # torch's norm backward: 0 where x is 0 (|x|^(p-1) is infinite there)
                scaled = np.where(x == 0, 0, scaled)
        return np.where(n == 0, 0, scaled)

    def backward(self, grad):
        d = self.denom
        through = (self.norm > self.eps).astype(grad.dtype)  # clamp_min passes the gradient where n > eps
        g_norm = -(grad * self.x).sum(axis=self.axis, keepdims=True) / (d * d) * through
        return (grad / d + g_norm * self._norm_grad(),)


def normalize(x: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """Scale x to unit p-norm along `dim`, as torch.nn.functional.normalize.

    Raises:
        IndexError: dim out of range.
        ValueError: p <= 0 (torch's p=0 "norm" counts nonzeros and has no useful gradient).
        RuntimeError: an integer or bool input, or p = inf over an empty dim.
    """
    if not p > 0:
        raise ValueError(f"normalize supports p > 0 (including inf) in shendu.scratch; got p={p}")
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.data.dtype} (convert with .float())")
    axis = normalize_dim(dim, x.ndim)
    if p == np.inf and x.ndim and x.shape[axis] == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the dimension {dim} because this "
                           f"dimension is empty and the operation does not have an identity")
    return Normalize(float(p), axis, eps)(x)

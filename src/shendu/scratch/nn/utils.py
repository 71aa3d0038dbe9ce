"""Gradient clipping and weight penalties (the L1/L2 regularizers of the tutorials)."""

from __future__ import annotations

import math

import numpy as np

from ..ops.reduce import Sum
from ..ops.unary import Abs
from ..tensor import Tensor


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks", 2013.
    As torch: grads are multiplied by min(1, max_norm / (total_norm + 1e-6)).

    Returns:
        The total norm of the gradients before clipping, as a 0-d Tensor.

    Raises:
        RuntimeError: the norm is nan/inf and error_if_nonfinite is set.
    """
    grads = [p for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(np.array(0.0, np.float32))
    dtype = grads[0].grad.dtype
    # Norm of the per-tensor norms, as torch: for p = 2 each is one BLAS dot product.
    norms = [np.linalg.norm(p.grad.data.ravel(), norm_type) for p in grads]
    total = float(np.linalg.norm(np.asarray(norms, np.float64), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p in grads:
        # Out of place: a grad array may be shared by two leaves (see autograd.backward).
        p.grad = Tensor(p.grad.data * dtype.type(coef))
    return Tensor(np.array(total, dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad = Tensor(np.clip(p.grad.data, -clip_value, clip_value))


def l1_penalty(parameters) -> Tensor:
    """sum_p sum |p|: add `lam * l1_penalty(model.parameters())` to a loss for L1 regularization.

    Its gradient lam * sign(p) pushes weights to exactly zero (sparse weights; Tibshirani, 1996).
    """
    terms = [Sum()(Abs()(p)) for p in _as_list(parameters)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l2_penalty(parameters) -> Tensor:
    """sum_p sum p^2: add `lam / 2 * l2_penalty(...)` for weight decay lam (Krogh & Hertz, 1992).

    The gradient of lam/2 * sum p^2 is lam * p, which is what SGD's weight_decay=lam adds.
    """
    terms = [Sum()(p * p) for p in _as_list(parameters)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total

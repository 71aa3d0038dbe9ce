"""Finite-difference gradient checking, in float64 (as torch.autograd.gradcheck)."""

from __future__ import annotations

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree (a RuntimeError, like torch's)."""


def _scalar_output(fn, inputs, projection) -> float:
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return float(sum(np.sum(o.data * w) for o, w in zip(outs, projection, strict=True) if o is not None))


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Compare backward's gradients with central differences (f(x+eps) - f(x-eps)) / 2 eps.

    The outputs are reduced to one scalar s = sum_k <out_k, w_k> with fixed random w_k, and
    ds/dx is checked element by element for every input that requires grad. float64 inputs
    are perturbed in place and restored (so `fn` may close over them, as a module over its
    parameters); other float inputs are checked through float64 copies.

    Args:
        fn: maps the inputs to a Tensor or a tuple of Tensors.
        inputs: a Tensor or a sequence of Tensors (and other arguments, passed through).
        eps, atol, rtol: step size and tolerance |analytic - numeric| <= atol + rtol |numeric|.
        raise_exception: raise GradcheckError on mismatch instead of returning False.

    Raises:
        GradcheckError: a gradient mismatch (when raise_exception).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    # float64 tensors are perturbed in place (so a module's own parameters can be checked);
    # other float tensors are replaced by float64 copies.
    inputs = tuple(
        Tensor(np.array(x.data, dtype=np.float64), requires_grad=x.requires_grad)
        if isinstance(x, Tensor) and x.dtype.kind == "f" and x.dtype != np.float64
        else x
        for x in inputs
    )
    saved_grads = [x.grad if isinstance(x, Tensor) else None for x in inputs]
    try:
        return _check(fn, inputs, eps, atol, rtol, raise_exception, seed)
    finally:
        for x, g in zip(inputs, saved_grads, strict=True):
            if isinstance(x, Tensor):
                x.grad = g


def _check(fn, inputs, eps, atol, rtol, raise_exception, seed) -> bool:
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    gen = np.random.default_rng(seed)
    projection = [None if o is None else gen.standard_normal(o.shape) for o in outs]
    total = None
    for o, w in zip(outs, projection, strict=True):
        if o is not None and o.requires_grad:
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    if total is not None:
        total.backward()
    with no_grad():
        for i, x in enumerate(inputs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            analytic = np.zeros(x.shape) if x.grad is None else x.grad.data
            numeric = np.zeros(x.shape)
            for index in np.ndindex(x.shape):  # perturbs x.data itself, whatever its layout
                orig = x.data[index]
                x.data[index] = orig + eps
                plus = _scalar_output(fn, inputs, projection)
                x.data[index] = orig - eps
                minus = _scalar_output(fn, inputs, projection)
                x.data[index] = orig
                numeric[index] = (plus - minus) / (2 * eps)
            bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
            if bad.any():
                if not raise_exception:
                    return False
                j = int(np.flatnonzero(bad)[0])
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i}: at flat index {j}, "
                    f"analytical {analytic.reshape(-1)[j]!r} vs numerical {numeric.reshape(-1)[j]!r} "
                    f"({int(bad.sum())} of {bad.size} elements differ beyond atol={atol}, rtol={rtol})"
                )
    return True

"""Piecewise-constant ops: sign, floor, ceil, round, trunc. Their gradient is 0 everywhere
(torch's derivatives.yaml: `zeros_like(grad)`); integer inputs pass through unchanged."""

from __future__ import annotations

import numpy as np

from ..tensor import Function, Tensor


class Step(Function):
    """out = ufunc(a) for a piecewise-constant ufunc; d/da = 0."""

    __slots__ = ("ufunc",)

    def __init__(self, ufunc):
        self.ufunc = ufunc

    def forward(self, a):
        return self.ufunc(a)

    def backward(self, grad):
        return (np.zeros_like(grad),)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element, 0 for nan (bool stays bool), as torch."""
    if input.dtype == bool:
        return Tensor(input.data.copy())
    return Step(_sign)(input)


def _sign(a: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.sign(a), nan=0.0) if a.dtype.kind == "f" else np.sign(a)  # torch: sign(nan) = 0


def _rounded(name: str, ufunc, input: Tensor) -> Tensor:
    if input.dtype == bool:
        raise NotImplementedError(f'"{name}" is not implemented for bool tensors; cast to float first')
    return Step(ufunc)(input) if input.dtype.kind == "f" else Tensor(input.data.copy())


def floor(input: Tensor) -> Tensor:
    return _rounded("floor", np.floor, input)


def ceil(input: Tensor) -> Tensor:
    return _rounded("ceil", np.ceil, input)


def trunc(input: Tensor) -> Tensor:
    return _rounded("trunc", np.trunc, input)


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:
    """Round half to even (torch's and numpy's rule), to `decimals` places.

    Raises:
        NotImplementedError: a bool tensor, or `decimals` (even 0) with an integer tensor, as torch.
    """
    if input.dtype.kind != "f":
        if decimals is not None and input.dtype != bool:
            raise NotImplementedError(f'"round" with decimals is not implemented for {input.dtype} tensors, as in '
                                      f"torch; convert with .float() first or drop decimals")
        return _rounded("round", None, input)
    return Step(np.round if not decimals else (lambda a: np.round(a, decimals)))(input)

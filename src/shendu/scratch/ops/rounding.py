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
    """-1, 0 or 1 by the sign of each element (bool stays bool)."""
    if input.dtype == bool:
        return Tensor(input.data.copy())
    return Step(np.sign)(input)


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


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (torch's and numpy's rule), to `decimals` places."""
    if input.dtype.kind != "f":
        return _rounded("round", None, input)
    return Step(np.round if decimals == 0 else (lambda a: np.round(a, decimals)))(input)

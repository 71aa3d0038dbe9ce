"""The fuzz's vocabulary: placeholders for tensor arguments, a drawn case, an op entry, engines.

A drawn case holds engine-neutral arguments: `Arr` (a numpy array that becomes a torch tensor
and a scratch tensor holding the same numbers), `DType` (a dtype by name) and plain Python
values, nested in lists and tuples as the op takes them. `materialize` turns them into one
engine's objects; `Op.call(engine, *args, **kwargs)` runs the op in that engine.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import shendu.scratch as st

TORCH_DTYPES = {
    "bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "float16": torch.float16,
    "float32": torch.float32, "float64": torch.float64,
}


@dataclass
class Arr:
    """A tensor argument: `array` becomes a tensor in each engine; `grad` sets requires_grad."""

    array: np.ndarray
    grad: bool = False

    def __repr__(self) -> str:
        return f"Arr({self.array.dtype}{list(self.array.shape)}{', grad' if self.grad else ''})"


@dataclass(frozen=True)
class DType:
    """A dtype argument by name ("float32"): torch.float32 in torch, np.dtype in scratch."""

    name: str


@dataclass
class Case:
    """One drawn call: positional and keyword arguments, and whether values are comparable.

    `values=False` compares only shapes, dtypes and exceptions (random ops: dropout, randn).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    values: bool = True


@dataclass(frozen=True)
class Op:
    """One public op in one spelling, with its torch counterpart and its argument generator.

    Attributes:
        name: the registry key: "add" (shendu.scratch.add), "F.relu" (nn.functional),
            "Tensor.add" (the method), "Tensor.__add__" (the operator).
        call: call(engine, *args, **kwargs) runs the op in `engine` (torch or scratch).
        draw: draw(rng) -> Case, the arguments of one random call (valid or not).
        rtol: relative tolerance on float32 values and gradients (float64 uses 1e-7).
    """

    name: str
    call: Callable[..., Any]
    draw: Callable[[np.random.Generator], Case]
    rtol: float = 1e-4


@dataclass(frozen=True)
class Engine:
    """torch or shendu.scratch: the namespace (`lib`), its functional module (`F`), tensors."""

    name: str
    lib: Any
    F: Any

    def tensor(self, array: np.ndarray, grad: bool):
        if self.name == "torch":
            return torch.tensor(np.array(array), requires_grad=grad)
        return st.Tensor(np.array(array), requires_grad=grad)

    def dtype(self, name: str):
        return TORCH_DTYPES[name] if self.name == "torch" else np.dtype(name)


TORCH = Engine("torch", torch, torch.nn.functional)
SCRATCH = Engine("scratch", st, st.nn.functional)


def materialize(value, engine: Engine, leaves: list):
    """`value` with every placeholder made in `engine`; tensors that require grad go to `leaves`."""
    if isinstance(value, Arr):
        tensor = engine.tensor(value.array, value.grad)
        if value.grad:
            leaves.append(tensor)
        return tensor
    if isinstance(value, DType):
        return engine.dtype(value.name)
    if isinstance(value, (list, tuple)):
        return type(value)(materialize(v, engine, leaves) for v in value)
    if isinstance(value, slice):  # slice bounds may be 0-d tensors
        return slice(*(materialize(v, engine, leaves) for v in (value.start, value.stop, value.step)))
    return value


def case_rng(seed: int, name: str, index: int) -> np.random.Generator:
    """The generator of case `index` of op `name`: stable across runs and Python versions."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), index])

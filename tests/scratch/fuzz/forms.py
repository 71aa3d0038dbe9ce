"""Spellings of an op: `lib.name(x, ...)`, `x.name(...)`, `F.name(x, ...)`, as registry entries.

`entries("add", draw)` gives the function form (key "add") and the method form (key
"Tensor.add"), both called on the same drawn arguments, whose first argument is the tensor.
"""

from __future__ import annotations

from .core import TORCH, Op

LIB, METHOD, FUNCTIONAL = "lib", "method", "F"


def call_function(name: str, torch_name: str | None = None):
    def call(engine, *args, **kwargs):
        return getattr(engine.lib, torch_name if torch_name and engine is TORCH else name)(*args, **kwargs)

    return call


def call_method(name: str, torch_name: str | None = None):
    def call(engine, x, *args, **kwargs):
        return getattr(x, torch_name if torch_name and engine is TORCH else name)(*args, **kwargs)

    return call


def call_functional(name: str, torch_call=None):
    def call(engine, *args, **kwargs):
        if torch_call is not None and engine is TORCH:
            return torch_call(*args, **kwargs)
        return getattr(engine.F, name)(*args, **kwargs)

    return call


def entries(name: str, draw, forms=(LIB, METHOD), rtol: float = 1e-4, methods: tuple = ()) -> list[Op]:
    """One Op per spelling of `name`; `methods` adds method aliases (x.multiply for mul)."""
    ops = []
    if LIB in forms:
        ops.append(Op(name, call_function(name), draw, rtol))
    if METHOD in forms:
        ops.append(Op(f"Tensor.{name}", call_method(name), draw, rtol))
    if FUNCTIONAL in forms:
        ops.append(Op(f"F.{name}", call_functional(name), draw, rtol))
    ops.extend(Op(f"Tensor.{alias}", call_method(alias), draw, rtol) for alias in methods)
    return ops


def custom(name: str, call, draw, rtol: float = 1e-4) -> Op:
    """An entry whose call is written out (operators, methods with their own signatures)."""
    return Op(name, call, draw, rtol)

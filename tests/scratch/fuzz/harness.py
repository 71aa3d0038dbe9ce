"""Run one drawn case in torch and in shendu.scratch and say how they differ (None: they agree).

The comparison, in order: both raise (the same builtin exception type, and scratch's message
is not empty) or neither does; the outputs (flattened through tuples and lists) have the same
count, types, shapes, dtypes and values (integers and bools exactly, floats to a tolerance
scaled by the largest magnitude, nan and inf in the same places) and the same requires_grad;
then, for outputs in the graph, the gradients of a random weighted sum of them with respect
to every input that requires grad, compared the same way.
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass

import numpy as np
import torch

import shendu.scratch as st

from .core import SCRATCH, TORCH, Arr, Case, Engine, Op, materialize


@dataclass
class Run:
    """What one engine did with a case: its output or its exception, and its grad leaves."""

    output: object = None
    error: BaseException | None = None
    leaves: list | None = None


def execute(op: Op, case: Case, engine: Engine) -> Run:
    leaves: list = []
    args = materialize(case.args, engine, leaves)
    kwargs = {k: materialize(v, engine, leaves) for k, v in case.kwargs.items()}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return Run(op.call(engine, *args, **kwargs), None, leaves)
        except Exception as error:  # noqa: BLE001  (the error is what gets compared)
            return Run(None, error, leaves)


def builtin_type(error: BaseException) -> type:
    """The first builtin class of an exception (torch.OutOfMemoryError -> RuntimeError)."""
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


def leaked_from(error: BaseException) -> str | None:
    """The outside module an exception was raised in (numpy, Python), or None for shendu's own."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames or "shendu" in frames[-1].filename or "tests/scratch/fuzz" in frames[-1].filename:
        return None
    return frames[-1].filename.rsplit("site-packages/", 1)[-1]


def compare_errors(theirs: BaseException | None, ours: BaseException | None) -> str | None:
    if theirs is None and ours is None:
        return None
    if theirs is None:
        return f"scratch raised {type(ours).__name__}: {ours} where torch succeeds\n" + _trace(ours)
    if ours is None:
        return f"torch raised {type(theirs).__name__}: {str(theirs)[:300]} where scratch succeeds"
    expected = builtin_type(theirs)
    if not isinstance(ours, expected):
        return (f"scratch raised {type(ours).__name__}: {ours}; torch raises {expected.__name__}: "
                f"{str(theirs)[:300]}\n" + _trace(ours))
    if not str(ours):
        return f"scratch raised {type(ours).__name__} with an empty message"
    return None


def _trace(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)[-6:])


def flatten(out) -> list:
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in flatten(item)]
    return [out]


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty(0, dtype=dtype).numpy().dtype


def case_rtol(op: Op, case: Case, outputs: list) -> float:
    """float32's tolerance as soon as any input or output is float32 or float16: a float64
    gradient that flowed through float32 arithmetic carries float32's rounding."""
    dtypes = [a.array.dtype for a in _arrs(case.args)] + [a.array.dtype for a in _arrs(case.kwargs.values())]
    dtypes += [numpy_dtype(t.dtype) for t in outputs if isinstance(t, torch.Tensor)]
    return op.rtol if any(d in (np.float32, np.float16) for d in dtypes) else 1e-7


def _arrs(values):
    for v in values:
        if isinstance(v, Arr):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _arrs(v)


def compare_arrays(ours: np.ndarray, theirs: np.ndarray, rtol: float, what: str) -> str | None:
    if ours.shape != theirs.shape:
        return f"{what}: shape {ours.shape}, torch {theirs.shape}"
    if theirs.dtype.kind != "f":
        if not np.array_equal(ours, theirs):
            return f"{what}: values differ\n scratch {ours.tolist()}\n torch   {theirs.tolist()}"
        return None
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return f"{what}: nan in other places\n scratch {a.tolist()}\n torch   {b.tolist()}"
    finite = np.isfinite(b)
    if not np.array_equal(a[~finite & ~np.isnan(b)], b[~finite & ~np.isnan(b)]):
        return f"{what}: inf in other places\n scratch {a.tolist()}\n torch   {b.tolist()}"
    scale = max(1.0, float(np.abs(b[finite]).max())) if finite.any() else 1.0
    close = np.isclose(a[finite], b[finite], rtol=rtol, atol=rtol * scale)
    if not close.all():
        worst = float(np.abs(a[finite] - b[finite]).max())
        return f"{what}: values differ (max abs diff {worst:.3g})\n scratch {a.tolist()}\n torch   {b.tolist()}"
    return None


def compare_leaf(ours, theirs, rtol: float, what: str) -> str | None:
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, st.Tensor):
            return f"{what}: scratch gives {type(ours).__name__}, torch a Tensor"
        reference = theirs.detach().numpy()
        if ours.dtype != reference.dtype:
            return f"{what}: dtype {ours.dtype}, torch {reference.dtype}"
        rtol = max(rtol, 2e-3) if reference.dtype == np.float16 else rtol
        return compare_arrays(np.asarray(ours.data), reference, rtol, what)
    if isinstance(theirs, np.ndarray):
        if not isinstance(ours, np.ndarray) or ours.dtype != theirs.dtype:
            return f"{what}: scratch gives {type(ours).__name__} {getattr(ours, 'dtype', '')}, torch {theirs.dtype}"
        return compare_arrays(ours, theirs, rtol, what)
    if isinstance(theirs, torch.dtype):
        return None if ours == numpy_dtype(theirs) else f"{what}: {ours}, torch {theirs}"
    if type(ours) is not type(theirs):
        return f"{what}: scratch gives {type(ours).__name__} {ours!r}, torch {type(theirs).__name__} {theirs!r}"
    if isinstance(theirs, float):
        return compare_arrays(np.array(ours), np.array(theirs), 1e-6, what)
    return None if ours == theirs else f"{what}: {ours!r}, torch {theirs!r}"


def compare_outputs(ours: list, theirs: list, values: bool, rtol: float) -> str | None:
    if len(ours) != len(theirs):
        return f"{len(ours)} outputs, torch {len(theirs)}"
    for i, (s, t) in enumerate(zip(ours, theirs, strict=True)):
        if not values and isinstance(t, torch.Tensor) and isinstance(s, st.Tensor):
            problem = None if (s.shape, s.dtype) == (tuple(t.shape), numpy_dtype(t.dtype)) else \
                f"output {i}: {s.shape} {s.dtype}, torch {tuple(t.shape)} {t.dtype}"
        else:
            problem = compare_leaf(s, t, rtol, f"output {i}")
        if problem:
            return problem
        if isinstance(t, torch.Tensor) and isinstance(s, st.Tensor) and s.requires_grad != t.requires_grad:
            return f"output {i}: requires_grad {s.requires_grad}, torch {t.requires_grad}"
    return None


def compare_gradients(ours: Run, theirs: Run, rtol: float, rng) -> str | None:
    pairs = [(s, t) for s, t in zip(flatten(ours.output), flatten(theirs.output), strict=True)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return None
    t_loss, s_loss = 0, 0
    with np.errstate(all="ignore"):  # numpy warns about inf - inf; torch does not
        for s, t in pairs:
            weights = rng.standard_normal(tuple(t.shape)).astype(numpy_dtype(t.dtype))
            t_loss = t_loss + (t * torch.from_numpy(weights)).sum()
            s_loss = s_loss + (s * st.tensor(weights)).sum()

    def backward(loss):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                loss.backward()
            except Exception as error:  # noqa: BLE001
                return error
        return None

    problem = compare_errors(backward(t_loss), backward(s_loss))
    if problem:
        return "backward: " + problem
    for i, (s, t) in enumerate(zip(ours.leaves, theirs.leaves, strict=True)):
        if t.grad is None:
            if s.grad is not None and np.any(s.grad.data):
                return f"grad of input {i}: torch has none, scratch {s.grad.data.tolist()}"
            continue
        if s.grad is None:
            return f"grad of input {i}: scratch has none"
        problem = compare_leaf(s.grad, t.grad, rtol, f"grad of input {i}")
        if problem:
            return problem
    return None


def check(op: Op, case: Case, rng) -> str | None:
    """None when scratch agrees with torch on `case`, else what differs."""
    theirs = execute(op, case, TORCH)
    ours = execute(op, case, SCRATCH)
    problem = compare_errors(theirs.error, ours.error)
    if problem or theirs.error is not None:
        return problem
    rtol = case_rtol(op, case, flatten(theirs.output))
    problem = compare_outputs(flatten(ours.output), flatten(theirs.output), case.values, rtol)
    if problem or not case.values:
        return problem
    return compare_gradients(ours, theirs, rtol, rng)

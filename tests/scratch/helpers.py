"""Parity helpers in the style of tinygrad's test/test_ops.py.

`helper_test_op` builds random inputs, runs a torch function and a scratch function on the
same numbers, and compares the outputs and the gradients of every input. `helper_test_exception`
checks that bad input raises the exception type torch raises. The module helpers move state
dicts between a torch module and its scratch twin and compare outputs and all gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import shendu.scratch as st

# float64 must agree to ~1e-8 relative, float32 to ~1e-4 (summation order differs).
TOLERANCES = {np.float64: dict(atol=1e-10, rtol=1e-8), np.float32: dict(atol=1e-5, rtol=1e-4)}


def tolerance(dtype, atol=None, rtol=None) -> dict:
    base = TOLERANCES[np.dtype(dtype).type]
    return dict(atol=base["atol"] if atol is None else atol, rtol=base["rtol"] if rtol is None else rtol)


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, st.Tensor):
        return np.asarray(x.data)
    return np.asarray(x)


def assert_close(scratch, reference, atol, rtol, what="value"):
    a, b = to_numpy(scratch), to_numpy(reference)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=what)


def _flatten_outputs(out):
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(_flatten_outputs(o))
        return flat
    return [out]


def helper_test_op(shapes, torch_fn, scratch_fn, dtype=np.float64, atol=None, rtol=None,
                   low=-2.0, high=2.0, inputs=None, grad=True, seed=0):
    """Run both functions on the same random inputs; compare outputs and input gradients.

    Args:
        shapes: one shape per input (ignored when `inputs` gives the arrays).
        torch_fn, scratch_fn: take the inputs (torch / scratch tensors), return a tensor or tuple.
        inputs: explicit numpy arrays instead of random ones.
        grad: also compare gradients, using the same random upstream gradient in both engines.

    Returns:
        (scratch outputs, torch outputs) for extra assertions.
    """
    rng = np.random.default_rng(seed)
    arrays = inputs if inputs is not None else [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]
    floating = [np.asarray(a).dtype.kind == "f" for a in arrays]
    t_in = [torch.tensor(np.asarray(a), requires_grad=grad and f) for a, f in zip(arrays, floating, strict=True)]
    s_in = [st.Tensor(np.array(a), requires_grad=grad and f) for a, f in zip(arrays, floating, strict=True)]
    t_out, s_out = _flatten_outputs(torch_fn(*t_in)), _flatten_outputs(scratch_fn(*s_in))
    assert len(t_out) == len(s_out), f"{len(s_out)} outputs, torch has {len(t_out)}"
    tol = tolerance(dtype, atol, rtol)
    for i, (s, t) in enumerate(zip(s_out, t_out, strict=True)):
        assert_close(s, t, what=f"output {i}", **tol)
        if isinstance(s, st.Tensor) and s.dtype.kind == "f":
            assert s.dtype == t.detach().numpy().dtype, f"output {i} dtype {s.dtype} != torch {t.dtype}"
    if not grad:
        return s_out, t_out
    t_loss, s_loss = 0, None
    for s, t in zip(s_out, t_out, strict=True):
        if not (isinstance(t, torch.Tensor) and t.requires_grad):
            continue
        upstream = rng.standard_normal(t.shape).astype(to_numpy(t).dtype)
        t_loss = t_loss + (t * torch.from_numpy(upstream)).sum()
        term = (s * st.Tensor(upstream)).sum()
        s_loss = term if s_loss is None else s_loss + term
    if s_loss is None:
        return s_out, t_out
    t_loss.backward()
    s_loss.backward()
    for i, (s, t) in enumerate(zip(s_in, t_in, strict=True)):
        if t.grad is None:
            assert s.grad is None or np.allclose(s.grad.data, 0), f"input {i}: torch has no grad"
            continue
        assert s.grad is not None, f"input {i}: scratch produced no gradient"
        assert_close(s.grad, t.grad, what=f"grad of input {i}", **tol)
        assert s.grad.dtype == s.dtype, f"grad of input {i} dtype {s.grad.dtype} != {s.dtype}"
    return s_out, t_out


def helper_test_exception(shapes, torch_fn, scratch_fn, dtype=np.float32, inputs=None):
    """Both functions must raise on the same input, scratch with torch's exception type."""
    rng = np.random.default_rng(0)
    arrays = inputs if inputs is not None else [rng.standard_normal(s).astype(dtype) for s in shapes]
    with pytest.raises(Exception) as torch_error:
        torch_fn(*[torch.tensor(np.asarray(a)) for a in arrays])
    expected = torch_error.type
    if expected.__name__ == "OutOfMemoryError":
        expected = RuntimeError
    with pytest.raises(expected) as scratch_error:
        scratch_fn(*[st.Tensor(np.array(a)) for a in arrays])
    assert str(scratch_error.value), "the error message must say what was expected and received"
    return scratch_error.value


def load_torch_into_scratch(torch_module, scratch_module):
    """Copy torch's state dict into the scratch module via numpy (strict)."""
    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    scratch_module.load_state_dict(state, strict=True)


def load_scratch_into_torch(scratch_module, torch_module):
    """Copy the scratch state dict into the torch module (strict=True)."""
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in scratch_module.state_dict().items()}
    torch_module.load_state_dict(state, strict=True)


def helper_test_module(torch_module, scratch_module, input_arrays, dtype=np.float64, call=None,
                       atol=None, rtol=None, direction="torch_to_scratch", grad=True, seed=0):
    """Make the twins share weights, run both on the inputs, compare outputs and all grads.

    Args:
        input_arrays: numpy arrays passed positionally (float arrays require grad).
        call: optional f(module, *inputs) -> output(s), for modules with extra arguments.
        direction: "torch_to_scratch" loads torch's state into scratch, "scratch_to_torch" the
            reverse, "none" leaves both as they are (already in sync).
    """
    torch_module = torch_module.to(torch.float64 if dtype == np.float64 else torch.float32)  # in place
    scratch_module.to(dtype)
    if direction == "torch_to_scratch":
        load_torch_into_scratch(torch_module, scratch_module)
    elif direction == "scratch_to_torch":
        load_scratch_into_torch(scratch_module, torch_module)
    assert list(torch_module.state_dict()) == list(scratch_module.state_dict()), "state dict keys/order differ"
    call = call or (lambda m, *xs: m(*xs))
    holder = {}

    def torch_fn(*xs):
        return call(torch_module, *xs)

    def scratch_fn(*xs):
        holder["inputs"] = xs
        return call(scratch_module, *xs)

    out = helper_test_op(None, torch_fn, scratch_fn, dtype, atol, rtol, inputs=input_arrays, grad=grad, seed=seed)
    if grad:
        tol = tolerance(dtype, atol, rtol)
        scratch_params = dict(scratch_module.named_parameters())
        for name, p in torch_module.named_parameters():
            if p.grad is None:
                continue
            assert scratch_params[name].grad is not None, f"no gradient for parameter {name}"
            assert_close(scratch_params[name].grad, p.grad, what=f"grad of {name}", **tol)
    return out

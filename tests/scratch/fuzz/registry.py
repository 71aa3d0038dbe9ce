"""Every fuzzed op by key, and the allow-lists: what is not fuzzed, what is compared on shapes
and dtypes only, and the documented differences from torch (each with its reason).

Keys: "add" is shendu.scratch.add, "F.relu" is shendu.scratch.nn.functional.relu,
"Tensor.add" the method and "Tensor.__add__" the operator. `expected_keys()` lists what the
public surface says must be here; tests/scratch/fuzz/test_fuzz.py fails on any gap.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import shendu.scratch as st

from . import ops_index, ops_loss, ops_nn, ops_pointwise, ops_reduce, ops_shape, ops_tensor
from .core import Arr, Case

OPS = {op.name: op for module in (ops_pointwise, ops_reduce, ops_shape, ops_index, ops_tensor, ops_nn, ops_loss)
       for op in module.build()}

# Public callables that are not tensor ops: nothing to compare against torch case by case.
NOT_OPS = {
    "default_generator": "returns scratch's own numpy Generator (torch's streams differ by design)",
    "manual_seed": "seeds scratch's own generator; random ops are compared on shapes and dtypes only",
    "get_num_threads": "OpenBLAS thread setting, not a tensor op (tests/scratch/test_threads.py)",
    "set_num_threads": "OpenBLAS thread setting, not a tensor op (tests/scratch/test_threads.py)",
    "gradcheck": "the finite-difference checker itself, a test utility (tests/scratch/test_gradcheck.py)",
    "is_grad_enabled": "grad-mode query; every gradient comparison of the fuzz runs with grad mode on",
    "Tensor.backward": "drives every gradient comparison of the fuzz (and tests/scratch/test_autograd.py)",
    "Tensor.__init__": "construction: fuzzed as scratch.tensor and scratch.from_numpy",
    "Tensor.__repr__": "printing is numpy's, by design; not an op",
    "Tensor.__hash__": "identity hash, as torch's; not an op",
}

# Ops whose values are random: compared on shapes, dtypes, requires_grad and exceptions only.
RANDOM = {
    "randn": "values come from scratch's generator, not torch's",
    "rand": "values come from scratch's generator, not torch's",
    "randint": "values come from scratch's generator, not torch's",
    "F.dropout": "the mask is random; values are compared when p is 0 or 1 or training=False",
    "F.scaled_dot_product_attention": "with dropout_p > 0 the weights' mask is random (compared otherwise)",
    "topk": "sorted=False leaves the order to the implementation in torch (values compared when sorted)",
    "Tensor.topk": "as topk",
}


@dataclass(frozen=True)
class Divergence:
    """A documented difference from torch: cases of `ops` that `applies` to are not compared."""

    ops: tuple
    applies: Callable[[Case], bool]
    reason: str


def _is_bool(value) -> bool:
    return isinstance(value, bool) or isinstance(value, Arr) and value.array.dtype == bool


def _dim_is_empty_tuple(case: Case) -> bool:
    dims = [case.kwargs.get("dim")] + [a for a in case.args[1:2]]
    return any(isinstance(d, (tuple, list)) and not d for d in dims)


def _float_pair_differs(case: Case) -> bool:
    x, target = case.args[:2]
    return x.array.dtype != target.array.dtype and x.array.dtype.kind == target.array.dtype.kind == "f"


def _dtypes_differ(case: Case) -> bool:
    arrays = [a.array.dtype for a in case.args[:2] if isinstance(a, Arr)]
    return len(set(arrays)) > 1


def _empty_product_in_bmm(case: Case) -> bool:
    """matmul operands of different dtypes whose product has nothing to compute, in the shapes
    torch.matmul sends to bmm (both batched, or a 2-D left operand that does not require grad)."""
    a, b = case.args[:2]
    if not (isinstance(a, Arr) and isinstance(b, Arr)) or a.array.dtype == b.array.dtype:
        return False
    sa, sb = a.array.shape, b.array.shape
    if len(sb) < 3 or len(sa) < 2 or len(sa) == 2 and a.grad or sa[-1] != sb[-2]:
        return False
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        return False
    return 0 in (*batch, *sa[-2:], sb[-1])


def _index_out_of_range_off_dim0(case: Case) -> bool:
    x, dim, index = case.args
    if x.array.ndim < 2 or not -x.array.ndim <= dim < x.array.ndim or (dim % x.array.ndim == 0 and x.array.size):
        return False
    size = x.array.shape[dim]
    return bool(index.array.size) and bool(((index.array < 0) | (index.array >= size)).any())


def _window_in_padding(dims: int):
    """A predicate: whether a max_pool{dims}d window reads nothing but padding."""
    return lambda case: _pool_window_in_padding(case, dims)


def _pool_window_in_padding(case: Case, dims: int) -> bool:
    x, k = case.args[0].array, case.kwargs
    spatial = x.shape[-dims:] if x.ndim >= dims else ()

    def per_dim(value, default):
        value = default if value is None else value
        return [value] * dims if isinstance(value, int) else list(value) * (dims if len(value) == 1 else 1)

    kernel = per_dim(k["kernel_size"], None)
    stride = per_dim(k.get("stride"), k["kernel_size"])
    padding, dilation = per_dim(k.get("padding", 0), 0), per_dim(k.get("dilation", 1), 1)
    for n, kk, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=False):
        span = d * (kk - 1) + 1
        out = (n + 2 * p - span + (s - 1 if k.get("ceil_mode") else 0)) // s + 1
        if k.get("ceil_mode") and (out - 1) * s >= n + p:
            out -= 1
        for o in range(max(out, 0)):
            if not any(0 <= o * s - p + j * d < n for j in range(kk)):
                return True
    return False


_ALL_PADDING = ("a max-pooling window that holds nothing but padding (dilation with padding): torch's output "
                "there is undefined and its backward writes outside the gradient's memory (heap corruption "
                "that crashes the process); scratch gives -inf and no gradient")
_POW = ("pow", "Tensor.pow", "Tensor.__pow__", "Tensor.__rpow__")
_SOFTMAX = tuple(f"{p}{n}" for n in ("softmax", "log_softmax") for p in ("", "Tensor.", "F."))
_MATMUL = ("matmul", "Tensor.matmul", "Tensor.__matmul__", "Tensor.__rmatmul__", "Tensor.mm", "Tensor.bmm")

# Documented differences: torch's own inconsistencies, and what shendu.scratch leaves out.
DIVERGENCES: list[Divergence] = [
    Divergence(_POW, lambda c: any(_is_bool(a) for a in c.args[:2]),
               "a bool exponent or base: torch's gradient is inconsistent (nan at 0 for the Python bool False "
               "where the number 0 gives 0; a bool exponent tensor makes its backward raise on `1 - bool`); "
               "scratch differentiates x ** False like x ** 0"),
    Divergence(("scatter_add", "Tensor.scatter_add"),
               lambda c: c.args[2].array.shape != c.args[3].array.shape and c.args[3].grad,
               "an index smaller than src: torch's backward returns the gradient of src in index's shape and "
               "raises (a known torch limitation); scratch gives src's gradient (0 where index does not reach)"),
    Divergence(("var", "Tensor.var", "std", "Tensor.std", "logsumexp", "Tensor.logsumexp"), _dim_is_empty_tuple,
               "dim=(): torch reduces over every dim in forward, but its var/std backward treats () as no dims "
               "(a gradient N times too large, inf when unbiased) and its logsumexp raises a shape error; "
               "scratch reduces over every dim in both"),
    Divergence(_SOFTMAX, lambda c: c.args[0].array.dtype.kind != "f" and c.args[0].array.size == 0,
               "an empty integer tensor: torch skips the dtype check of its float-only kernel when there is "
               "nothing to compute; scratch raises NotImplementedError whatever the size"),
    Divergence(("F.binary_cross_entropy_with_logits", "F.huber_loss"), _float_pair_differs,
               "float32 with float64: torch's result takes one operand's dtype (the target's in "
               "binary_cross_entropy_with_logits, the input's in huber_loss) instead of promoting as its other "
               "losses do; scratch promotes to float64"),
    Divergence(("F.scaled_dot_product_attention",),
               lambda c: isinstance(c.kwargs.get("attn_mask"), Arr)
               and c.kwargs["attn_mask"].array.ndim not in range(2, c.args[0].array.ndim + 1),
               "an attn_mask of 0 or 1 dims, or with more dims than the query: torch broadcasts it, raises IndexError "
               "or ignores its extra dims depending on which CPU kernel it picks for the shapes; scratch "
               "broadcasts it with the scores"),
    Divergence(("F.elu", "F.relu6", "F.hardtanh"), lambda c: c.args[0].grad and np.isnan(c.args[0].array).any(),
               "the gradient at nan: torch's scalar and vectorized kernels disagree (the incoming gradient for "
               "a few elements, 0 or nan for long tensors); scratch gives what the vectorized kernel gives"),
    Divergence(("F.gelu",), lambda c: np.isinf(c.args[0].array).any() if c.args[0].array.dtype.kind == "f" else False,
               "gelu at +-inf: torch's scalar kernel gives gelu(inf) = inf, its vectorized one nan; scratch gives "
               "inf (and nan at -inf, as torch)"),
    Divergence(("F.huber_loss",), lambda c: isinstance(c.args[1], Arr) and c.args[1].array.dtype.kind != "f"
               and c.args[0].grad,
               "a non-float target: torch's forward promotes it but its backward raises (\"Found dtype Bool but "
               "expected Float\"); scratch differentiates"),
    Divergence(("index_select", "Tensor.index_select"), _index_out_of_range_off_dim0,
               "an index out of range along a dim other than 0 of a 2+ dim input, or into an empty 2+ dim "
               "input: torch raises IndexError or RuntimeError depending on which kernel its layout picks; "
               "scratch always raises IndexError"),
    Divergence(("F.max_pool1d",), _window_in_padding(1), _ALL_PADDING),
    Divergence(("F.max_pool2d",), _window_in_padding(2), _ALL_PADDING),
    Divergence(("F.nll_loss", "F.cross_entropy"),
               lambda c: c.args[0].array.ndim == 1 and c.args[1].array.shape == (1,) and c.args[0].grad,
               "(C,) scores with a one-element (1,) target: torch's forward takes it, its backward raises "
               "\"size mismatch\"; scratch differentiates"),
    Divergence(("F.layer_norm", "F.rms_norm"), lambda c: isinstance(c.args[1], int),
               "an int normalized_shape: scratch's functional forms take it as nn.LayerNorm does (a tested "
               "convenience, tests/scratch/ops/test_norm.py); torch's raise TypeError"),
    Divergence(("norm", "Tensor.norm"), lambda c: "nuc" in c.args[1:2] or c.kwargs.get("p") == "nuc",
               "p='nuc' (the nuclear norm, an SVD) is not implemented in scratch: it raises NotImplementedError"),
    Divergence(_MATMUL, _empty_product_in_bmm,
               "operands of different dtypes and an empty product (a 0 batch, row, column or inner dim) where "
               "torch.matmul runs bmm: torch's bmm checks dtypes only when there is something to compute and "
               "returns the right operand's dtype, while its mm/mv paths and every non-empty product raise "
               "RuntimeError; scratch always raises RuntimeError"),
]

# Engine bugs the fuzz finds in files another engineer owns go here until they are fixed, each
# as a Divergence whose reason starts "PENDING (file):": skipped so that the fuzz stays green,
# and listed in every report. None are open.
PENDING: list[Divergence] = []


def divergence(name: str, case: Case) -> str | None:
    """The reason case `case` of op `name` is not compared, or None."""
    for d in DIVERGENCES + PENDING:
        if name in d.ops and d.applies(case):
            return d.reason
    return None


def expected_keys() -> set:
    """Keys the public surface asks for: shendu.scratch's callables, nn.functional's names,
    the Tensor's public methods and operators."""
    keys = {name for name in st.__all__
            if callable(getattr(st, name)) and not isinstance(getattr(st, name), (type, types.ModuleType))}
    keys |= {f"F.{name}" for name in st.nn.functional.__all__}
    for name, value in vars(st.Tensor).items():
        if callable(value) and (not name.startswith("_") or name.startswith("__") and name.endswith("__")):
            keys.add(f"Tensor.{name}")
    keys |= {f"Tensor.{name}" for name in dir(st.Tensor)
             if not name.startswith("_") and callable(getattr(st.Tensor, name, None))}
    return keys - set(NOT_OPS)

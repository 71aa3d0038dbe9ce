"""Every difference from torch that the fuzz (tests/scratch/fuzz) found and that was fixed in
the engine, as one named case each, checked by the fuzz's own comparison against torch:
the same exception type, or the same shape, dtype, values, requires_grad and gradients.

A few cases guard the edges of a fix, where torch accepts what a too-broad fix refused
(clip of bools with one tensor bound, x[False] = value, circular padding of bools).
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

from .fuzz.core import Arr, Case, DType, Op
from .fuzz.harness import check

NAN, INF = float("nan"), float("inf")


def A(values, dtype="float64", grad=False) -> Arr:  # noqa: N802  (a short constructor for the table)
    return Arr(np.array(values, dtype=dtype), grad)


def lib(name):
    return lambda e, *a, **k: getattr(e.lib, name)(*a, **k)


def F(name):  # noqa: N802
    return lambda e, *a, **k: getattr(e.F, name)(*a, **k)


def method(name):
    return lambda e, x, *a, **k: getattr(x, name)(*a, **k)


def setitem(e, x, index, value):
    x = x.clone()
    x[index] = value
    return x


def in_place(name):
    def call(e, x, *a, **k):
        getattr(x, name)(*a, **k)
        return x

    return call


X23 = A(np.arange(6.0).reshape(2, 3) - 2, grad=True)

# name: (call, args, kwargs) -- each was a mismatch with torch before its fix.
REGRESSIONS = {
    # ---- elementwise: dtypes torch refuses, float-only kernels, type promotion ----------------
    "bitwise_and of floats raises NotImplementedError": (lib("bitwise_and"), (A([1.0]), A([2.0])), {}),
    "bitwise_or of an int tensor and a float number raises NotImplementedError": (
        lib("bitwise_or"), (A([1], "int64"), 1.5), {}),
    "~ on a float tensor raises TypeError": (lambda e, x: ~x, (A([1.0]),), {}),
    "logical_and with a Python bool raises TypeError": (lib("logical_and"), (A([True], bool), True), {}),
    "logical_or of shapes that do not broadcast raises RuntimeError": (
        lib("logical_or"), (A([[1, 0]], bool), A([[1, 0, 1]], bool)), {}),
    "sigmoid of an int tensor is float32": (lib("sigmoid"), (A([1, 2], "int64"),), {}),
    "tanh of a bool tensor is float32 (not numpy's float16)": (lib("tanh"), (A([True, False], bool),), {}),
    "relu of a bool tensor raises NotImplementedError": (lib("relu"), (A([True], bool),), {}),
    "relu passes the gradient at nan": (lib("relu"), (A([NAN, -1.0, 2.0], grad=True),), {}),
    "hardtanh of ints keeps the dtype and truncates the bounds": (
        F("hardtanh"), (A([-3, 0, 3, 1], "int32"), -1.5, 2.7), {}),
    "relu6 of a bool tensor raises NotImplementedError": (F("relu6"), (A([True], bool),), {}),
    "gelu of ints raises NotImplementedError": (F("gelu"), (A([1, 2], "int64"),), {}),
    "silu of bools raises NotImplementedError": (F("silu"), (A([True], bool),), {}),
    "softmax over an empty dim gives an empty tensor": (lib("softmax"), (A(np.zeros((0, 3)), grad=True), 0), {}),
    "log_softmax of ints raises NotImplementedError": (lib("log_softmax"), (A([1, 2], "int32"), 0), {}),
    "round of ints with decimals raises NotImplementedError": (lib("round"), (A([15], "int64"),), {"decimals": 0}),
    "rsqrt's gradient at -inf is nan": (lib("rsqrt"), (A([-INF, 4.0], grad=True),), {}),
    "abs's gradient at nan is 0": (lib("abs"), (A([NAN, -2.0], grad=True),), {}),
    "sign of nan is 0": (lib("sign"), (A([NAN, -2.0, 0.0]),), {}),
    "+ on a bool tensor raises NotImplementedError": (lambda e, x: +x, (A([True], bool),), {}),
    "add with a float alpha and int tensors raises RuntimeError": (
        lib("add"), (A([1], "int64"), A([2], "int32")), {"alpha": 1.5}),
    "sub with a bool alpha and float tensors raises RuntimeError": (
        lib("sub"), (A([1.0]), A([2.0])), {"alpha": True}),
    "add's alpha does not promote: int32 + alpha * bool stays int32": (
        lib("add"), (A([1, 2], "int32"), A([True, False], bool)), {"alpha": 2}),
    "add of two 0-d tensors with alpha promotes to float64": (
        lib("add"), (A(1.5, "float32", grad=True), A(2.0)), {"alpha": -2}),
    "div with an unknown rounding_mode raises RuntimeError": (
        lib("div"), (A([1.0]), A([2.0])), {"rounding_mode": "nearest"}),
    "div with rounding of shapes that do not broadcast raises RuntimeError": (
        lib("div"), (A(np.ones((4, 3, 0))), A(np.ones(5))), {"rounding_mode": "floor"}),
    "integer % with a zero divisor and an empty result does not raise": (
        operator.mod, (A(np.ones((3, 0)), "int64"), A(np.zeros((3, 1)), "int64")), {}),
    "the gradient of number % tensor raises RuntimeError": (lambda e, x: 2.5 % x, (A([1.0, 2.0], grad=True),), {}),
    "clamp takes a 0-d tensor next to a number": (lib("clamp"), (A([0.0, 1.0, 3.0]), 0.5, A(1.0)), {}),
    "clamp of bools with a number raises NotImplementedError": (lib("clamp"), (A([True], bool),), {"min": True}),
    "clip of bools with one tensor bound works": (
        method("clip"), (A([True, False], bool),), {"max": A([True, True], bool)}),
    "allclose of different dtypes raises RuntimeError": (lib("allclose"), (A([1.0], "float32"), A([1], "int64")), {}),
    "masked_fill of ints with a value that requires grad raises RuntimeError": (
        lib("masked_fill"), (A([1, 2], "int64"), A([True, False], bool), A(2.0, grad=True)), {}),
    "float() of a 2-element tensor raises ValueError": (lambda e, x: float(x), (A([1.0, 2.0]),), {}),
    "operator.index of a float tensor raises TypeError": (lambda e, x: operator.index(x), (A(1.0),), {}),
    "requires_grad_ on an int tensor raises RuntimeError": (method("requires_grad_"), (A([1], "int64"),), {}),
    "long() of a tensor that requires grad leaves the graph": (method("long"), (A([1.5], grad=True),), {}),
    "a @ b through __rmatmul__ keeps a's gradient": (
        lambda e, a, b: b.__rmatmul__(a), (A([1.0, 2.0], grad=True), A([[1.0], [2.0]], grad=True)), {}),
    # ---- matrix products: one dtype, no bools, empty operands ----------------------------------
    "matmul of float32 and float64 raises RuntimeError": (lib("matmul"), (A([[1.0, 2.0]], "float32"), A([[1.0], [2.0]])), {}),
    "@ of an int64 vector and a float32 batch raises RuntimeError": (
        operator.matmul, (A([1, 2], "int64"), A(np.ones((2, 2, 3)), "float32")), {}),
    "mm of float64 and int32 raises RuntimeError": (method("mm"), (A(np.ones((2, 2))), A(np.ones((2, 2)), "int32")), {}),
    "bmm of float32 and float64 raises RuntimeError": (
        method("bmm"), (A(np.ones((2, 2, 3)), "float32", grad=True), A(np.ones((2, 3, 1)), grad=True)), {}),
    "a 2-d float32 operand that requires grad with an empty float64 batch raises RuntimeError": (
        operator.matmul, (A(np.ones((2, 3)), "float32", grad=True), A(np.ones((0, 3, 2)))), {}),
    "matmul of int64 matrices stays int64": (lib("matmul"), (A([[1, -2], [3, 4]], "int64"), A([[5], [6]], "int64")), {}),
    "matmul of bool matrices raises NotImplementedError": (
        lib("matmul"), (A([[True, False]], bool), A([[True], [True]], bool)), {}),
    "dot of empty bool vectors raises NotImplementedError": (lib("matmul"), (A(np.zeros(0), bool), A(np.zeros(0), bool)), {}),
    "matmul of bool matrices with nothing to compute gives bools": (
        lib("matmul"), (A(np.ones((2, 0)), bool), A(np.ones((0, 3)), bool)), {}),
    "a bool vector @ a float batch raises NotImplementedError (torch's bmm)": (
        operator.matmul, (A([True, False], bool), A(np.ones((2, 2, 2)), "float32")), {}),
    "a bool vector @ a float batch that folds into one matrix raises RuntimeError (torch's mv)": (
        operator.matmul, (A([True], bool), A(np.ones((2, 1, 2)), "float32")), {}),
    "a float vector @ a bool batch raises RuntimeError": (
        operator.matmul, (A([1.0, 2.0], "float32"), A(np.ones((2, 2, 2)), bool)), {}),
    "bool matmul checks shapes first (RuntimeError)": (lib("matmul"), (A(np.ones((2, 3)), bool), A(np.ones((2, 2)), bool)), {}),
    # ---- linear ------------------------------------------------------------------------------
    "linear with a 1-d weight and a bias raises RuntimeError": (
        F("linear"), (A(np.ones((2, 3))), A(np.ones(3)), A(np.ones(1))), {}),
    "linear with a 1-d weight and a 0-d bias on a 2-d input raises RuntimeError": (
        F("linear"), (A(np.ones((2, 3))), A(np.ones(3)), A(0.5)), {}),
    "linear with a 1-d weight and a 0-d bias on a 3-d input adds the bias": (
        F("linear"), (A(np.arange(12.0).reshape(2, 2, 3), grad=True), A([1.0, -1.0, 2.0], grad=True), A(0.5, grad=True)),
        {}),
    "linear with a 1-d weight and no bias": (F("linear"), (A(np.ones((2, 3)), grad=True), A([1.0, 2.0, 3.0], grad=True)), {}),
    "linear's 0-d bias has a 0-d gradient": (
        F("linear"), (A(np.arange(6.0).reshape(2, 3), grad=True), A(np.ones((2, 3)), grad=True), A(0.5, grad=True)), {}),
    "linear's 0-d bias on a 1-d input has a 0-d gradient": (
        F("linear"), (A([1.0, 2.0, 3.0], grad=True), A(np.ones((2, 3)), grad=True), A(0.5, grad=True)), {}),
    "linear with a (1,) bias broadcasts it": (
        F("linear"), (A(np.ones((3, 2, 3)), grad=True), A(np.ones((2, 3)), grad=True), A([0.5], grad=True)), {}),
    "linear of float32 input and a float64 weight raises RuntimeError": (
        F("linear"), (A(np.ones((2, 3)), "float32"), A(np.ones((2, 3)))), {}),
    "linear of int64 tensors stays int64": (
        F("linear"), (A([[1, 2, 3]], "int64"), A([[1, 0, -1], [2, 2, 2]], "int64"), A([5, 6], "int64")), {}),
    "linear of bools raises NotImplementedError": (
        F("linear"), (A([[True, False]], bool), A([[True, True]], bool), A([False], bool)), {}),
    "linear of an empty batch of bools gives bools": (
        F("linear"), (A(np.ones((0, 2)), bool), A(np.ones((3, 2)), bool), A(np.ones(3), bool)), {}),
    "linear of bools with in_features=0 and a bias raises RuntimeError": (
        F("linear"), (A(np.ones((2, 0)), bool), A(np.ones((3, 0)), bool), A(np.ones(3), bool)), {}),
    "linear's backward with an empty batch": (
        F("linear"), (A(np.ones((0, 3)), grad=True), A(np.ones((2, 3)), grad=True), A(np.ones(2), grad=True)), {}),
    "linear's backward with an empty 3-d batch": (
        F("linear"), (A(np.ones((2, 0, 3)), "float32", grad=True), A(np.ones((2, 3)), "float32", grad=True)), {}),
    "linear's backward with in_features=0": (
        F("linear"), (A(np.ones((2, 0)), grad=True), A(np.ones((3, 0)), grad=True), A(np.ones(3), grad=True)), {}),
    # ---- pooling: torch's CPU kernels decide the dtypes -----------------------------------------
    "avg_pool2d of int64 divides with truncation toward zero": (
        F("avg_pool2d"), (A([[[[-3, 1, 2], [5, -7, 1], [2, 2, -1]]]], "int64"), 2, 1), {}),
    "avg_pool2d of int64 with divisor_override truncates toward zero": (
        F("avg_pool2d"), (A([[[[-3, 1, 2], [5, -7, 1], [2, 2, -1]]]], "int64"), 2, 1), {"divisor_override": 3}),
    "avg_pool1d of int64 with padding not counted": (
        F("avg_pool1d"), (A([[[-7, -5, 5, 7, -1, 3, 100, -101]]], "int64"), 3, 1, 1), {"count_include_pad": False}),
    "avg_pool2d of int32 raises NotImplementedError": (F("avg_pool2d"), (A(np.ones((1, 2, 2)), "int32"), 2), {}),
    "avg_pool1d of bools raises NotImplementedError": (F("avg_pool1d"), (A(np.ones((1, 1, 4)), bool), 2), {}),
    "avg_pool2d of bools checks the padding first (RuntimeError)": (
        F("avg_pool2d"), (A(np.ones((1, 2, 2)), bool), 2), {"padding": 2}),
    "max_pool2d of int32 pads with the lowest integer": (
        F("max_pool2d"), (A([[[[-5, -3], [-4, -9]]]], "int32"), 2, 1, 1), {}),
    "max_pool2d of bools raises NotImplementedError": (F("max_pool2d"), (A(np.ones((1, 2, 2)), bool), 2), {}),
    "max_pool1d of int64 raises NotImplementedError": (F("max_pool1d"), (A([[[1, 5, 2]]], "int64"), 2), {}),
    "max_pool1d of int32 with an output too small raises RuntimeError": (
        F("max_pool1d"), (A([[1, 5, 2]], "int32"), 4), {}),
    "adaptive_avg_pool2d of int64 raises NotImplementedError": (
        F("adaptive_avg_pool2d"), (A(np.ones((1, 4, 4)), "int64"), 2), {}),
    "adaptive_avg_pool2d of bools to (1, 1) raises RuntimeError (torch takes the mean)": (
        F("adaptive_avg_pool2d"), (A(np.ones((1, 1, 4, 4)), bool), (None, 1)), {}),
    # ---- convolution: integers computed, bools refused ------------------------------------------
    "conv2d of int64 computes in int64": (
        F("conv2d"), (A(np.arange(32).reshape(1, 2, 4, 4) - 10, "int64"), A(np.arange(16).reshape(2, 2, 2, 2) - 8, "int64")),
        {"bias": A([1, -1], "int64"), "stride": 2, "padding": 1}),
    "conv2d of int32 with groups computes in int32": (
        F("conv2d"), (A(np.arange(32).reshape(1, 2, 4, 4) - 10, "int32"), A(np.arange(8).reshape(2, 1, 2, 2) - 3, "int32")),
        {"groups": 2, "padding": "same"}),
    "conv1d of int64 with dilation computes in int64": (
        F("conv1d"), (A(np.arange(10).reshape(1, 2, 5) - 4, "int64"), A(np.arange(8).reshape(2, 2, 2) - 3, "int64")),
        {"dilation": 2}),
    "conv2d of int32 with dilation raises NotImplementedError": (
        F("conv2d"), (A(np.ones((1, 1, 5, 5)), "int32"), A(np.ones((1, 1, 2, 2)), "int32")), {"dilation": 2}),
    "conv2d of bools raises NotImplementedError": (
        F("conv2d"), (A(np.ones((1, 1, 3, 3)), bool), A(np.ones((1, 1, 2, 2)), bool)), {}),
    "conv1d of bools with a float weight raises NotImplementedError": (
        F("conv1d"), (A(np.ones((1, 3)), bool), A(np.ones((2, 1, 2)), "float32", grad=True)), {"padding": "same"}),
    "conv2d of int64 with a float32 weight raises RuntimeError": (
        F("conv2d"), (A(np.ones((1, 1, 3, 3)), "int64"), A(np.ones((1, 1, 2, 2)), "float32")), {}),
    "conv2d of bools with a float bias raises RuntimeError": (
        F("conv2d"), (A(np.ones((1, 1, 3, 3)), bool), A(np.ones((1, 1, 2, 2)), bool)), {"bias": A([1.0], "float32")}),
    "conv2d of bools with bad groups raises RuntimeError": (
        F("conv2d"), (A(np.ones((1, 2, 3, 3)), bool), A(np.ones((2, 2, 2, 2)), bool)), {"groups": 3}),
    # ---- dropout ---------------------------------------------------------------------------------
    "dropout of ints in training raises RuntimeError": (F("dropout"), (A([1, 2, 3], "int64"),), {"p": 0.5}),
    "dropout of a 0-d bool raises RuntimeError": (F("dropout"), (A(True, bool),), {"p": 0.3}),
    "dropout of an empty int tensor returns it": (F("dropout"), (A(np.zeros((0, 3)), "int32"),), {"p": 0.5}),
    "dropout of an empty float tensor returns it": (F("dropout"), (A(np.zeros((2, 0)), grad=True),), {"p": 0.5}),
    "dropout of bools with p=1 gives False": (F("dropout"), (A([True, False], bool),), {"p": 1.0}),
    "dropout of ints with training=False returns them": (
        F("dropout"), (A([1, 2], "int32"),), {"p": 0.5, "training": False}),
    # ---- reductions -----------------------------------------------------------------------------
    "sum of bools with dtype=bool is bool": (lib("sum"), (A([[True, False]], bool), 1), {"dtype": DType("bool")}),
    "sum with an integer dtype of a tensor that requires grad raises RuntimeError": (
        lib("sum"), (X23,), {"dtype": DType("int64")}),
    "prod with dtype=int32 is int32": (lib("prod"), (A([True, True], bool),), {"dtype": DType("int32")}),
    "cumsum with dtype=int32 is int32": (lib("cumsum"), (A([1, 2], "int64"), 0), {"dtype": DType("int32")}),
    "cumsum with dtype=bool raises NotImplementedError": (lib("cumsum"), (A([1, 2], "int32"), 0),
                                                        {"dtype": DType("bool")}),
    "amax of an empty tensor without dim raises RuntimeError": (lib("amax"), (A(np.zeros(0)),), {}),
    "amax of an empty tensor over a non-empty dim works": (lib("amax"), (A(np.zeros((0, 3)), grad=True), 1), {}),
    "amax checks for an empty dim before a repeated one": (lib("amax"), (A(np.zeros(0)),), {"dim": (-1, -1)}),
    "norm with p=0 counts the nonzeros": (lib("norm"), (A([0.0, 2.0, -1.0], grad=True), 0), {}),
    "norm with p=-inf gives no gradient to a row holding nan": (
        lib("norm"), (A([[1.7, NAN], [0.5, -0.2]], grad=True), -INF, 1), {}),
    "norm with p=1 has a 0 gradient at nan": (lib("norm"), (A([[1.0, NAN]], grad=True), 1, 1), {}),
    "norm with p=inf over an empty dim raises RuntimeError": (lib("norm"), (A(np.zeros((0, 2))), INF, 0), {}),
    "norm with p='fro' over 3 dims raises RuntimeError": (lib("norm"), (A(np.ones((2, 2, 2))), "fro", (0, 1, 2)), {}),
    "var of one -inf element has a nan gradient": (lib("var"), (A([-INF], grad=True),), {}),
    "topk of bools raises RuntimeError": (lib("topk"), (A([True, False], bool), 1), {}),
    # ---- shapes ----------------------------------------------------------------------------------
    "transpose of a 0-d tensor with dims 0 and -1": (lib("transpose"), (A(2.0, grad=True), 0, -1), {}),
    "flatten with start_dim after end_dim raises RuntimeError": (lib("flatten"), (X23,), {"start_dim": 1,
                                                                                          "end_dim": 0}),
    "squeeze takes a tuple of dims": (lib("squeeze"), (A(np.ones((1, 1, 4)), grad=True), (0, 2)), {}),
    "expand with -1 in a new leading dim raises RuntimeError": (method("expand"), (A(1.0), -1), {}),
    "cat skips 1-D empty tensors (torch's legacy rule)": (
        lib("cat"), ([A(np.ones((3, 0, 1)), grad=True), A(np.zeros(0), grad=True), A(np.ones((3, 1, 1)))], 1), {}),
    "cat of no tensors raises ValueError": (lib("cat"), ([],), {}),
    "split of a 0-d tensor raises RuntimeError": (lib("split"), (A(1.0), 1), {}),
    "chunk of an empty dim gives `chunks` empty pieces": (lib("chunk"), (A(np.zeros((2, 0))), 3, 1), {}),
    "split of an empty dim gives one empty piece": (lib("split"), (A(np.zeros((2, 0))), 1, 1), {}),
    "chunk into 0 pieces raises RuntimeError": (lib("chunk"), (X23, 0), {}),
    # ---- indexing --------------------------------------------------------------------------------
    "gather with an empty index of another rank gives an empty tensor": (
        lib("gather"), (X23, 0, A(np.zeros((0, 1, 2)), "int64")), {}),
    "index_select of a 0-d tensor with 4 indices raises RuntimeError": (
        lib("index_select"), (A(1.0), 0, A([0, 0, 0, 0], "int64")), {}),
    "index_select along an empty dim of a 2-d tensor raises RuntimeError": (
        lib("index_select"), (A(np.zeros((3, 0))), 1, A([0], "int64")), {}),
    "masked_select with an integer mask raises RuntimeError": (lib("masked_select"), (X23, A(1, "int64")), {}),
    "narrow of a 0-d tensor raises RuntimeError": (lib("narrow"), (A(1.0), 0, 0, 0), {}),
    "nonzero of a 0-d tensor": (lib("nonzero"), (A(3, "int32"),), {}),
    "embedding counts a negative padding_idx from the end": (
        F("embedding"), (A([0, 1], "int64"), A(np.ones((4, 3)), grad=True)), {"padding_idx": -4}),
    "x[int tensor] = a value of another dtype raises RuntimeError": (
        setitem, (A(np.zeros((3, 2))), A([0, 2], "int64"), A(2, "int32")), {}),
    "x[mask] = a 0-d value of another dtype works (masked_fill)": (
        setitem, (A(np.zeros((3, 2))), A([True, False, True], bool), A(2, "int32")), {}),
    "x[False] = a value of another dtype works": (setitem, (A(np.zeros((3, 2))), False, A(2, "int64")), {}),
    "x[0-d int tensor] = a one-element 1-d value": (setitem, (A([1.0, 2.0, 3.0]), A(0, "int64"), A([5.0])), {}),
    "a value that does not fit an empty indexed shape raises RuntimeError": (
        setitem, (A(np.zeros((0, 2)), "int64"), (True, None), A([True, True, False], bool)), {}),
    "copy_ from a source that does not broadcast raises RuntimeError": (
        in_place("copy_"), (A(np.zeros((4, 4))), A(np.ones((1, 5, 4)))), {}),
    "copy_ from a source with an extra leading dim raises RuntimeError": (
        in_place("copy_"), (A(np.zeros(0)), A(np.zeros((1, 0)))), {}),
    "new_zeros with a negative size raises RuntimeError": (method("new_zeros"), (A(1.0), -1, 2), {}),
    # ---- factories -------------------------------------------------------------------------------
    "tensor() of a list of float64 0-d tensors is float64": (lib("tensor"), ([A(1.0), A(2.0)],), {}),
    "tensor() of a list mixing a list and a number raises TypeError": (lib("tensor"), ([[1, 2], -2.0],), {}),
    "tensor() of float tensors into an integer dtype raises TypeError": (
        lib("tensor"), ([A(1.5)],), {"dtype": DType("int64")}),
    "tensor() of a ragged but empty nested list": (lib("tensor"), ([[[], []], [[]]],), {}),
    "zeros with a negative size raises RuntimeError": (lib("zeros"), (-1, 2), {}),
    "eye with a negative size raises RuntimeError": (lib("eye"), (-1,), {}),
    "arange of floats into int64 steps by the truncated step": (
        lib("arange"), (1.914, -1, -0.234), {"dtype": DType("int64")}),
    # ---- losses ----------------------------------------------------------------------------------
    "binary_cross_entropy with a weight that requires grad raises RuntimeError": (
        F("binary_cross_entropy"), (A([0.3], grad=True), A([1.0])), {"weight": A([2.0], grad=True)}),
    "binary_cross_entropy of ints raises NotImplementedError": (
        F("binary_cross_entropy"), (A([1], "int32"), A([1], "int32")), {}),
    "binary_cross_entropy of float32 input and float64 target raises RuntimeError": (
        F("binary_cross_entropy"), (A([0.3], "float32"), A([1.0])), {}),
    "binary_cross_entropy with a weight that does not broadcast raises RuntimeError": (
        F("binary_cross_entropy"), (A([[0.3, 0.6]]), A([[1.0, 0.0]])), {"weight": A(np.ones(5))}),
    "binary_cross_entropy_with_logits with a bool target raises NotImplementedError": (
        F("binary_cross_entropy_with_logits"), (A([0.3]), A([True], bool)), {}),
    "binary_cross_entropy_with_logits with a pos_weight that requires grad raises RuntimeError": (
        F("binary_cross_entropy_with_logits"), (A([0.3]), A([1.0])), {"pos_weight": A([2.0], grad=True)}),
    "cross_entropy with probabilities differentiates the class weights": (
        F("cross_entropy"), (A([[0.2, -1.0, 0.5]], grad=True), A([[0.1, 0.6, 0.3]])),
        {"weight": A([1.0, 2.0, 0.5], grad=True)}),
    "cross_entropy with class indices and weights that require grad raises RuntimeError": (
        F("cross_entropy"), (A([[0.2, -1.0]], grad=True), A([1], "int64")), {"weight": A([1.0, 2.0], grad=True)}),
    "nll_loss takes a one-element target for 1-d input": (
        F("nll_loss"), (A([-0.2, -1.5, -0.9]), A([1], "int64")), {"reduction": "none"}),  # torch's backward raises
    "nll_loss of bool scores raises NotImplementedError": (
        F("nll_loss"), (A([[True, False]], bool), A([1], "int64")), {}),
    "mse_loss of ints raises NotImplementedError": (F("mse_loss"), (A([1], "int32"), A([2], "int32")), {}),
    "mse_loss of float32 input and int64 target is float32": (
        F("mse_loss"), (A([1.5], "float32", grad=True), A([2], "int64")), {}),
    "l1_loss with a bool target raises NotImplementedError": (F("l1_loss"), (A([1.0]), A([True], bool)), {}),
    "l1_loss checks shapes before the reduction": (
        F("l1_loss"), (A(np.ones((2, 4))), A(np.ones((5, 4)))), {"reduction": "average"}),
    "l1_loss of ints with reduction='mean' raises RuntimeError": (F("l1_loss"), (A([1], "int32"), A([2], "int32")), {}),
    "kl_div's gradient broadcasts back to the input's shape": (
        F("kl_div"), (A([-0.2, -1.0, -0.5], grad=True), A([0.3])), {"reduction": "sum"}),
    "kl_div with reduction='batchmean' divides by the input's batch size": (
        F("kl_div"), (A(-np.ones((4, 1, 3)), grad=True), A(np.full((1, 4, 1, 3), -0.5))),
        {"reduction": "batchmean", "log_target": True}),
    "kl_div of ints raises RuntimeError": (F("kl_div"), (A([-1.0]), A([1], "int64")), {}),
    "kl_div's target gradient is nan where the target is 0": (
        F("kl_div"), (A([-0.2, -1.0], grad=True), A([0.0, 0.4], grad=True)), {"reduction": "sum"}),
    # ---- normalization and the rest of nn.functional ---------------------------------------------
    "group_norm with one value per group raises ValueError": (F("group_norm"), (A(np.ones((1, 1))), 1), {}),
    "group_norm without spatial elements raises RuntimeError": (F("group_norm"), (A(np.ones((1, 2, 0, 3))), 1), {}),
    "group_norm of ints raises NotImplementedError": (F("group_norm"), (A(np.ones((2, 2)), "int64"), 1), {}),
    "layer_norm of ints raises NotImplementedError": (F("layer_norm"), (A(np.ones((2, 4)), "int32"), (4,)), {}),
    "batch_norm of bools raises NotImplementedError": (
        lambda e, x, m, v: e.F.batch_norm(x, m, v), (A([[True, False]], bool), A([0.0, 0.0]), A([1.0, 1.0])), {}),
    "batch_norm with running stats of the wrong size raises RuntimeError": (
        lambda e, x, m, v: e.F.batch_norm(x, m, v), (A(np.ones((3, 3, 3))), A(np.zeros(4)), A(np.ones(4))), {}),
    "one_hot of int32 classes raises RuntimeError": (F("one_hot"), (A([0, 1], "int32"), 3), {}),
    "one_hot of an empty tensor with num_classes=0 raises RuntimeError": (
        F("one_hot"), (A(np.zeros((0, 3)), "int64"), 0), {}),
    "normalize of ints raises RuntimeError": (F("normalize"), (A([1, 2], "int64"),), {"dim": 0}),
    "normalize with p=inf over an empty dim raises RuntimeError": (
        F("normalize"), (A(np.zeros(0)),), {"p": INF, "dim": -1}),
    "normalize passes no gradient through the norm at the eps tie": (
        F("normalize"), (A([1.0], "float32", grad=True),), {"dim": 0, "eps": 1.0}),
    "normalize with p=0.5 has a finite gradient at 0": (
        F("normalize"), (A([[0.0, 1.0], [2.0, 0.0]], grad=True),), {"p": 0.5, "dim": 0}),
    "scaled_dot_product_attention of ints raises RuntimeError": (
        F("scaled_dot_product_attention"), (A([[1]], "int64"), A([[1]], "int64"), A([[1]], "int64")), {}),
    "scaled_dot_product_attention of mixed float dtypes raises RuntimeError": (
        F("scaled_dot_product_attention"), (A([[1.0]], "float32"), A([[1.0]]), A([[1.0]], "float32")), {}),
    "scaled_dot_product_attention with a mask that would enlarge the scores raises RuntimeError": (
        F("scaled_dot_product_attention"), (A([[1.0]]), A(np.ones((3, 1)), grad=True), A(np.ones((3, 1)))),
        {"attn_mask": A(np.ones((2, 3)), bool)}),
    "replicate padding of bools raises NotImplementedError": (
        F("pad"), (A(np.ones((1, 2, 2)), bool), (1, 1, 1, 1)), {"mode": "replicate"}),
    "circular padding of bools works": (F("pad"), (A(np.ones((1, 2, 2)), bool), (1, 1)), {"mode": "circular"}),
    "a non-constant padding mode takes value=0": (
        F("pad"), (A(np.ones((1, 1, 4, 1)), grad=True), (0, 0, 0, 1)), {"mode": "circular", "value": 0}),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_fuzz_regression_matches_torch(name):
    call, args, kwargs = REGRESSIONS[name]
    problem = check(Op(name, call, None), Case(args, kwargs), np.random.default_rng(0))
    assert problem is None, f"{name}: {problem}"

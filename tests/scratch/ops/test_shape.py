"""Parity of shape ops with torch: reshape/view, transpose/permute, flatten, (un)squeeze, expand, cat, stack, split."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op

SAME = [
    ((2, 3, 4), lambda x: x.reshape(6, 4)),
    ((2, 3, 4), lambda x: x.reshape(-1)),
    ((2, 3, 4), lambda x: x.view(4, -1)),
    ((2, 3, 4), lambda x: x.reshape((3, 8))),
    ((2, 3, 4), lambda x: x.transpose(0, 2)),
    ((2, 3, 4), lambda x: x.transpose(-1, -2)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ((2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ((2, 3, 4), lambda x: x.flatten()),
    ((2, 3, 4), lambda x: x.flatten(1)),
    ((2, 3, 4, 5), lambda x: x.flatten(1, 2)),
    ((3, 4), lambda x: x.unsqueeze(0)),
    ((3, 4), lambda x: x.unsqueeze(-1)),
    ((1, 3, 1, 4), lambda x: x.squeeze()),
    ((1, 3, 1, 4), lambda x: x.squeeze(2)),
    ((1, 3, 1, 4), lambda x: x.squeeze(1)),
    ((3, 1), lambda x: x.expand(3, 4)),
    ((3, 1), lambda x: x.expand(2, -1, 5)),
    ((4, 3), lambda x: x.T),
    ((6, 2), lambda x: x.chunk(3)),
    ((7, 2), lambda x: x.chunk(3, 0)),
    ((2, 7), lambda x: x.split(3, 1)),
    ((2, 7), lambda x: x.split([2, 5], 1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,fn", SAME)
def test_same_call_in_both_engines(shape, fn, dtype):
    helper_test_op([shape], fn, fn, dtype=dtype)


@pytest.mark.parametrize("shapes,dim", [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1), ([(2, 3, 1), (2, 3, 2)], -1)])
def test_cat(shapes, dim):
    helper_test_op(shapes, lambda *xs: torch.cat(xs, dim), lambda *xs: st.cat(xs, dim))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    helper_test_op([(2, 3), (2, 3), (2, 3)], lambda *xs: torch.stack(xs, dim), lambda *xs: st.stack(xs, dim))


def test_reshape_to_wrong_size_raises_runtime_error():
    helper_test_exception([(2, 3)], lambda x: x.reshape(4, 2), lambda x: x.reshape(4, 2))


@pytest.mark.parametrize("fn", [lambda x: x.transpose(0, 3), lambda x: x.unsqueeze(4), lambda x: x.flatten(0, 5)])
def test_bad_dim_raises_index_error(fn):
    helper_test_exception([(2, 3, 4)], fn, fn)


def test_cat_and_stack_mismatch_raise_runtime_error():
    helper_test_exception([(2, 3), (2, 4)], lambda a, b: torch.cat([a, b], 0), lambda a, b: st.cat([a, b], 0))
    helper_test_exception([(2, 3), (2, 4)], lambda a, b: torch.stack([a, b]), lambda a, b: st.stack([a, b]))


def test_expand_mismatch_raises_runtime_error():
    helper_test_exception([(3, 2)], lambda x: x.expand(3, 4), lambda x: x.expand(3, 4))


@pytest.mark.parametrize(
    "fn",
    [lambda x: x.reshape(4, 3) * 2, lambda x: x.permute(1, 0) @ x, lambda x: x.unsqueeze(0).expand(2, 3, 4),
     lambda x: st.cat([x, x * 2], 1), lambda x: st.stack([x, x.exp()], 0), lambda x: x.chunk(2, 1)[1]],
)
def test_gradcheck(fn):
    x = st.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert st.gradcheck(fn, x)

"""Parity of indexing (basic, integer-array, bool mask) and embedding lookup with torch."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op

INDEXES = [
    1, -1, slice(1, 3), (slice(None), 2), (0, slice(None, None, 2)), (Ellipsis, 1), (None, 1),
    (slice(None), None, slice(1, 2)),
    [0, 2, 2],                          # repeated rows: gradients must add up
    (np.array([0, 1, 1]), np.array([3, 0, 0])),
    (slice(None), np.array([[0, 1], [1, 1]])),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index", INDEXES, ids=range(len(INDEXES)))
def test_getitem(index, dtype):
    def t_index(i):
        if isinstance(i, np.ndarray):
            return torch.from_numpy(i)
        return tuple(t_index(j) for j in i) if isinstance(i, tuple) else i

    helper_test_op([(3, 4)], lambda x: x[t_index(index)], lambda x: x[index], dtype=dtype)


def test_getitem_with_tensor_indices_and_bool_mask():
    idx = np.array([2, 0, 2])
    helper_test_op([(4, 3)], lambda x: x[torch.from_numpy(idx)], lambda x: x[st.tensor(idx)])
    mask = np.array([True, False, True, True])
    helper_test_op([(4, 3)], lambda x: x[torch.from_numpy(mask)], lambda x: x[mask])


def test_many_slices_of_one_tensor_accumulate():
    # The RNN pattern: one tensor read step by step, every slice feeding the loss.
    def fn(x):
        return sum((x[t] * (t + 1)).sum() for t in range(x.shape[0]))

    helper_test_op([(6, 3)], fn, fn)


def test_out_of_range_raises_index_error():
    helper_test_exception([(3, 4)], lambda x: x[5], lambda x: x[5])
    helper_test_exception([(3, 4)], lambda x: x[:, 4], lambda x: x[:, 4])


@pytest.mark.parametrize("padding_idx", [None, 1])
@pytest.mark.parametrize("idx_shape", [(5,), (2, 3)])
def test_embedding(padding_idx, idx_shape):
    idx = np.random.default_rng(0).integers(0, 4, size=idx_shape)
    idx.flat[0] = 1
    idx.flat[-1] = 1  # repeats, and padding rows when padding_idx=1
    helper_test_op(
        [(4, 3)],
        lambda w: torch.nn.functional.embedding(torch.from_numpy(idx), w, padding_idx=padding_idx),
        lambda w: st.functional.embedding(idx, w, padding_idx=padding_idx),
    )


def test_embedding_out_of_range_raises_index_error():
    for bad in ([0, 4], [-1]):
        idx = np.array(bad)
        helper_test_exception(
            [(4, 3)],
            lambda w: torch.nn.functional.embedding(torch.from_numpy(idx), w),  # noqa: B023
            lambda w: st.functional.embedding(idx, w),  # noqa: B023
        )


@pytest.mark.parametrize("index", [(slice(1, 3), 0), [2, 0, 2], (np.array([0, 2]), np.array([1, 1]))], ids=range(3))
def test_gradcheck_getitem(index):
    x = st.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert st.gradcheck(lambda t: t[index] * 2, x)


def test_gradcheck_embedding():
    w = st.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert st.gradcheck(lambda t: st.functional.embedding(np.array([[0, 3], [3, 3]]), t), w)

"""Parity of reductions with torch: sum, mean, max/min (with indices), var, argmax."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from ..helpers import helper_test_exception, helper_test_op

CASES = [((3, 4), None, False), ((3, 4), 0, False), ((3, 4), 1, True), ((2, 3, 4), (0, 2), False),
         ((2, 3, 4), -1, True), ((1, 5), 0, False), ((4,), 0, True), ((2, 1, 3), (1,), False)]


@pytest.mark.parametrize("shape,dim,keepdim", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, shape, dim, keepdim, dtype):
    if dim is None:
        fn = lambda x: getattr(x, name)()  # noqa: E731
    else:
        fn = lambda x: getattr(x, name)(dim, keepdim=keepdim)  # noqa: E731
    helper_test_op([shape], fn, fn, dtype=dtype)


# (1, 5) over dim 0 has one sample: its unbiased variance is nan in both engines, not a useful check.
@pytest.mark.parametrize("shape,dim,keepdim", [c for c in CASES if not isinstance(c[1], tuple) and c[0] != (1, 5)])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_and_std(shape, dim, keepdim, correction):
    if dim is None:
        helper_test_op([shape], lambda x: x.var(correction=correction), lambda x: x.var(correction=correction))
        return
    helper_test_op([shape], lambda x: x.var(dim, keepdim=keepdim, correction=correction),
                   lambda x: x.var(dim, keepdim=keepdim, correction=correction))
    helper_test_op([shape], lambda x: x.std(dim, keepdim=keepdim), lambda x: x.std(dim, keepdim=keepdim))


@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), 0, False), ((3, 4), 1, True), ((2, 3, 4), -1, False), ((1, 4), 0, True)])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_returns_values_and_indices(name, shape, dim, keepdim):
    out, ref = helper_test_op([shape], lambda x: tuple(getattr(x, name)(dim, keepdim)),
                              lambda x: tuple(getattr(x, name)(dim, keepdim)))
    np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
    assert getattr(st.randn(*shape), name)(dim, keepdim).indices.dtype == np.int64


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_all(name):
    helper_test_op([(3, 5)], lambda x: getattr(x, name)(), lambda x: getattr(x, name)())


def test_max_all_splits_gradient_evenly_among_ties_like_torch():
    x = np.array([[1.0, 3.0], [3.0, 0.0]])
    helper_test_op(None, lambda t: t.max(), lambda t: t.max(), inputs=[x])


def test_max_along_dim_sends_gradient_to_first_tie_like_torch():
    x = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]])
    helper_test_op(None, lambda t: t.max(1)[0], lambda t: t.max(1)[0], inputs=[x])


def test_argmax():
    x = np.random.default_rng(0).standard_normal((3, 4))
    for dim in (None, 0, 1):
        np.testing.assert_array_equal(st.tensor(x).argmax(dim).numpy(), torch.tensor(x).argmax(dim).numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "var"])
def test_bad_dim_raises_index_error(name):
    err = helper_test_exception([(2, 3)], lambda x: getattr(x, name)(2), lambda x: getattr(x, name)(2))
    assert "got 2" in str(err)


@pytest.mark.parametrize(
    "fn",
    [lambda x: x.sum(0), lambda x: x.mean(1, keepdim=True), lambda x: x.max(1).values, lambda x: x.max(),
     lambda x: x.var(0), lambda x: x.std(1), lambda x: x.min(0).values],
)
def test_gradcheck(fn):
    x = st.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert st.gradcheck(fn, x)

"""Composites in functional: dropout (statistics, scaling, gradient) and batch_norm's running stats."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
import shendu.scratch.functional as F

from .helpers import helper_test_exception


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = st.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)  # gradient uses the same mask
    assert y.dtype == np.float32


def test_dropout_identity_in_eval_and_zero_for_p_one():
    x = st.randn(4, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)


def test_dropout_bad_p_raises_value_error():
    helper_test_exception([(3,)], lambda x: torch.nn.functional.dropout(x, 1.5), lambda x: F.dropout(x, 1.5))


def test_dropout_is_seeded():
    st.manual_seed(3)
    a = F.dropout(st.ones(10), 0.5).numpy()
    st.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(st.ones(10), 0.5).numpy())


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_gradcheck_dropout_with_fixed_mask(p):
    x = st.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def fn(t):
        st.manual_seed(1)  # same mask on every evaluation
        return F.dropout(t, p)

    assert st.gradcheck(fn, x)

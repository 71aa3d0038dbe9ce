"""Parity of the batch-norm and layer-norm ops with torch.nn.functional."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F

from ..helpers import assert_close, helper_test_exception, helper_test_op


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(4, 3), (5, 3, 2), (2, 3, 4, 4), (1, 3, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine, dtype):
    c = shape[1]
    rm, rv = np.zeros(c, dtype), np.ones(c, dtype)
    trm, trv = torch.zeros(c, dtype=torch.from_numpy(rm).dtype), torch.ones(c, dtype=torch.from_numpy(rv).dtype)
    shapes = [shape] + ([(c,), (c,)] if affine else [])
    helper_test_op(shapes, lambda x, *wb: TF.batch_norm(x, trm, trv, *wb, training=True, momentum=0.3),
                   lambda x, *wb: F.batch_norm(x, rm, rv, *wb, training=True, momentum=0.3), dtype=dtype)
    # running stats moved by exactly torch's rule (two updates: one per engine call above)
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-10)
    assert_close(rm, trm, what="running_mean", **tol)
    assert_close(rv, trv, what="running_var", **tol)
    assert not np.allclose(rv, 1.0)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 4)])
def test_batch_norm_eval(shape):
    rng = np.random.default_rng(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    helper_test_op([shape, (3,), (3,)],
                   lambda x, w, b: TF.batch_norm(x, torch.from_numpy(rm), torch.from_numpy(rv), w, b, training=False),
                   lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((1, 6), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, normalized, affine, dtype):
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    shapes = [shape] + ([norm_shape, norm_shape] if affine else [])
    helper_test_op(shapes, lambda x, *wb: TF.layer_norm(x, norm_shape, *wb, eps=1e-5),
                   lambda x, *wb: F.layer_norm(x, normalized, *wb, eps=1e-5), dtype=dtype)


def test_layer_norm_shape_mismatch_raises_runtime_error():
    helper_test_exception([(2, 3)], lambda x: TF.layer_norm(x, (4,)), lambda x: F.layer_norm(x, (4,)))


def test_gradcheck_batch_norm_and_layer_norm():
    rng = np.random.default_rng(0)
    x, w, b = (st.Tensor(rng.standard_normal(s), requires_grad=True) for s in [(4, 3, 2), (3,), (3,)])
    assert st.gradcheck(lambda *t: F.batch_norm(t[0], None, None, t[1], t[2], training=True), (x, w, b))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    assert st.gradcheck(lambda *t: F.batch_norm(t[0], rm, rv, t[1], t[2], training=False), (x, w, b))
    w2, b2 = (st.Tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 2), (3, 2)])
    assert st.gradcheck(lambda *t: F.layer_norm(t[0], (3, 2), t[1], t[2]), (x, w2, b2))

"""Parity of nll_loss, cross_entropy, mse_loss and binary_cross_entropy with torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F

from ..helpers import helper_test_exception, helper_test_op

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_losses(name, weighted, ignore, reduction, dtype):
    target = np.array([0, 3, 1, 3, 2])
    ignore_index = 3 if ignore else -100
    weight = np.array([0.5, 2.0, 1.0, 1.5], dtype) if weighted else None
    tw = None if weight is None else torch.from_numpy(weight)
    prep_t = (lambda x: TF.log_softmax(x, 1)) if name == "nll_loss" else (lambda x: x)
    prep_s = (lambda x: F.log_softmax(x, 1)) if name == "nll_loss" else (lambda x: x)
    helper_test_op(
        [(5, 4)],
        lambda x: getattr(TF, name)(prep_t(x), torch.from_numpy(target), weight=tw, ignore_index=ignore_index, reduction=reduction),
        lambda x: getattr(F, name)(prep_s(x), target, weight=weight, ignore_index=ignore_index, reduction=reduction),
        dtype=dtype,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_unbatched_and_probability_targets(reduction):
    target = np.random.default_rng(0).integers(0, 3, size=(2, 4, 5))
    helper_test_op([(2, 3, 4, 5)], lambda x: TF.cross_entropy(x, torch.from_numpy(target), reduction=reduction),
                   lambda x: F.cross_entropy(x, target, reduction=reduction))
    helper_test_op([(4,)], lambda x: TF.cross_entropy(x, torch.tensor(2), reduction=reduction),
                   lambda x: F.cross_entropy(x, np.array(2), reduction=reduction))
    probs = np.random.default_rng(1).dirichlet(np.ones(3), size=5)
    helper_test_op([(5, 3)], lambda x: TF.cross_entropy(x, torch.from_numpy(probs), reduction=reduction),
                   lambda x: F.cross_entropy(x, st.tensor(probs), reduction=reduction))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [[(4, 3), (4, 3)], [(5,), (5,)], [(2, 1, 3), (2, 1, 3)]])
def test_mse_loss(shapes, reduction, dtype):
    helper_test_op(shapes, lambda x, t: TF.mse_loss(x, t, reduction=reduction),
                   lambda x, t: F.mse_loss(x, t, reduction=reduction), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, dtype):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, (4, 3)).astype(dtype)
    t = (rng.random((4, 3)) > 0.5).astype(dtype)
    w = rng.uniform(0.5, 2, (4, 3)).astype(dtype) if weighted else None
    tw = None if w is None else torch.from_numpy(w)
    helper_test_op(None, lambda x: TF.binary_cross_entropy(x, torch.from_numpy(t), tw, reduction=reduction),
                   lambda x: F.binary_cross_entropy(x, t, w, reduction=reduction), inputs=[p], dtype=dtype)


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch():
    p = np.array([0.0, 1.0, 0.5, 1e-50])
    t = np.array([1.0, 0.0, 1.0, 1.0])
    helper_test_op(None, lambda x: TF.binary_cross_entropy(x, torch.from_numpy(t)),
                   lambda x: F.binary_cross_entropy(x, t), inputs=[p])


def test_loss_errors_match_torch():
    target = np.array([0, 5])
    helper_test_exception([(2, 4)], lambda x: TF.cross_entropy(x, torch.from_numpy(target)),
                          lambda x: F.cross_entropy(x, target))
    short = np.array([0, 1, 2])
    helper_test_exception([(2, 4)], lambda x: TF.nll_loss(x, torch.from_numpy(short)),
                          lambda x: F.nll_loss(x, short))
    helper_test_exception(None, lambda x: TF.binary_cross_entropy(x, torch.zeros(3)),
                          lambda x: F.binary_cross_entropy(x, np.zeros(3, np.float32)),
                          inputs=[np.array([0.5, 1.5, 0.2], np.float32)])
    helper_test_exception([(3, 1)], lambda x: TF.binary_cross_entropy(torch.sigmoid(x), torch.zeros(3)),
                          lambda x: F.binary_cross_entropy(F.sigmoid(x), np.zeros(3, np.float32)))
    helper_test_exception([(2, 4)], lambda x: TF.mse_loss(x, x, reduction="avg"),
                          lambda x: F.mse_loss(x, x, reduction="avg"))


def test_gradcheck_losses():
    rng = np.random.default_rng(0)
    x = st.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    target = np.array([0, 2, 1, 2])
    assert st.gradcheck(lambda t: F.cross_entropy(t, target, weight=np.array([1.0, 2.0, 0.5])), x)
    assert st.gradcheck(lambda t: F.nll_loss(F.log_softmax(t, 1), target, reduction="sum"), x)
    y = st.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert st.gradcheck(lambda a, b: F.mse_loss(a, b), (x, y))
    labels = (rng.random((4, 3)) > 0.5) * 1.0
    assert st.gradcheck(lambda a: F.binary_cross_entropy(F.sigmoid(a), labels), x)

"""clip_grad_norm_, clip_grad_value_ and the L1/L2 penalties against torch."""

import math

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import helper_test_op


def _twins(scale):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) * scale for s in [(3, 4), (4,), (2, 2)]]
    ours = [st.Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    for o, t, a in zip(ours, theirs, arrays, strict=True):
        o.grad, t.grad = st.Tensor(a * 2), torch.from_numpy(a * 2)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 10.0)])
def test_clip_grad_norm_matches_torch(max_norm, scale, norm_type):
    ours, theirs = _twins(scale)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(t_total.item(), rel=1e-10)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_nonfinite_raises_when_asked():
    ours, theirs = _twins(1.0)
    ours[0].grad.data[0, 0] = np.inf
    theirs[0].grad[0, 0] = np.inf
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    ours, theirs = _twins(1.0)
    nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy())


def test_penalties_values_and_gradients():
    helper_test_op([(3, 4), (4,)], lambda a, b: a.abs().sum() + b.abs().sum(), lambda a, b: st.optim.l1_penalty([a, b]))
    helper_test_op([(3, 4), (4,)], lambda a, b: (a * a).sum() + (b * b).sum(), lambda a, b: st.optim.l2_penalty([a, b]))


def test_l2_penalty_gradient_equals_sgd_weight_decay():
    # lam/2 * l2_penalty added to the loss moves weights exactly like weight_decay=lam
    rng = np.random.default_rng(0)
    w0, x = rng.standard_normal((2, 3)), rng.standard_normal((5, 3))
    a, b = st.Tensor(w0.copy(), requires_grad=True), st.Tensor(w0.copy(), requires_grad=True)
    opt_a, opt_b = st.optim.SGD([a], lr=0.1), st.optim.SGD([b], lr=0.1, weight_decay=0.01)
    for _ in range(5):
        for p, opt, lam in ((a, opt_a, 0.01), (b, opt_b, 0.0)):
            opt.zero_grad()
            loss = (st.tensor(x) @ p.T).tanh().sum() + lam / 2 * st.optim.l2_penalty([p])
            loss.backward()
            opt.step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)

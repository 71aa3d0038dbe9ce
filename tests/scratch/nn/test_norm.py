"""BatchNorm1d/2d (train and eval, running stats over several steps) and LayerNorm against torch."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import assert_close, helper_test_exception, helper_test_module


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 5))])
def test_batch_norm_running_stats_over_steps_then_eval(name, shape, dtype, momentum):
    theirs, ours = getattr(torch.nn, name)(3, momentum=momentum), getattr(nn, name)(3, momentum=momentum)
    rng = np.random.default_rng(0)
    tol = dict(atol=1e-5, rtol=1e-4) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-9)
    for step in range(4):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(dtype)
        helper_test_module(theirs, ours, [x], dtype=dtype, direction="torch_to_scratch" if step == 0 else "none")
        # helper runs one forward per engine: running stats must still agree
        for key in ("running_mean", "running_var"):
            assert_close(ours.state_dict()[key], theirs.state_dict()[key], what=key, **tol)
        assert ours.state_dict()["num_batches_tracked"] == theirs.state_dict()["num_batches_tracked"].item() == step + 1
    ours.eval()
    theirs.eval()
    helper_test_module(theirs, ours, [rng.standard_normal(shape).astype(dtype)], dtype=dtype, direction="none")


@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(track_running_stats=False)])
def test_batch_norm_options(kwargs):
    x = np.random.default_rng(0).standard_normal((5, 3, 2))
    theirs, ours = torch.nn.BatchNorm1d(3, **kwargs), nn.BatchNorm1d(3, **kwargs)
    helper_test_module(theirs, ours, [x])
    ours.eval()
    theirs.eval()
    helper_test_module(theirs, ours, [x], direction="none")


def test_batch_norm_state_dict_to_torch_strict():
    ours = nn.BatchNorm2d(4)
    ours(st.randn(3, 4, 2, 2) * 3 + 1)
    theirs = torch.nn.BatchNorm2d(4)
    helper_test_module(theirs, ours.eval(), [np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)],
                       dtype=np.float32, direction="scratch_to_torch", call=lambda m, x: m.eval()(x))


def test_batch_norm_errors_match_torch():
    helper_test_exception([(2, 3, 4, 4)], torch.nn.BatchNorm1d(3), nn.BatchNorm1d(3))
    helper_test_exception([(2, 3)], torch.nn.BatchNorm2d(3), nn.BatchNorm2d(3))
    helper_test_exception([(1, 3)], torch.nn.BatchNorm1d(3), nn.BatchNorm1d(3))  # one value per channel
    helper_test_exception([(2, 4)], torch.nn.BatchNorm1d(3), nn.BatchNorm1d(3))


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)])
def test_layer_norm(kwargs, dtype, direction):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(dtype)
    m_t, m_s = torch.nn.LayerNorm(4, **kwargs), nn.LayerNorm(4, **kwargs)
    if m_t.weight is not None:  # non-trivial affine parameters
        with torch.no_grad():
            m_t.weight.uniform_(0.5, 1.5)
    helper_test_module(m_t, m_s, [x], dtype=dtype, direction=direction)
    helper_test_module(torch.nn.LayerNorm((3, 4), **kwargs), nn.LayerNorm((3, 4), **kwargs), [x], dtype=dtype, direction=direction)


def test_gradcheck_norm_modules():
    x = st.Tensor(np.random.default_rng(0).standard_normal((4, 3, 2)), requires_grad=True)
    assert st.gradcheck(nn.BatchNorm1d(3, momentum=0.0).double(), x)
    assert st.gradcheck(nn.LayerNorm(2).double(), x)

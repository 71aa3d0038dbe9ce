"""Adam and AdamW trajectories against torch for every option combination."""

import itertools

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers_optim import compare_trajectories

ADAM = [
    dict(lr=0.05, betas=b, eps=e, weight_decay=wd, amsgrad=ams)
    for b, e, wd, ams in itertools.product([(0.9, 0.999), (0.5, 0.9)], [1e-8, 1e-2], [0.0, 0.1], [False, True])
]
ADAMW = [dict(lr=0.05, weight_decay=wd, amsgrad=ams, betas=b)
         for wd, ams, b in itertools.product([0.01, 0.5], [False, True], [(0.9, 0.999), (0.8, 0.99)])]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", ADAM, ids=[str(c) for c in ADAM])
def test_adam_matches_torch(kwargs, dtype):
    compare_trajectories(torch.optim.Adam, st.optim.Adam, kwargs, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", ADAMW, ids=[str(c) for c in ADAMW])
def test_adamw_matches_torch(kwargs, dtype):
    compare_trajectories(torch.optim.AdamW, st.optim.AdamW, kwargs, dtype=dtype)


def test_adamw_default_weight_decay_matches_torch():
    assert st.optim.AdamW([st.zeros(1, requires_grad=True)]).defaults["weight_decay"] == \
        torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults["weight_decay"]


@pytest.mark.parametrize("kwargs", [dict(lr=-0.1), dict(eps=-1.0), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1)),
                                    dict(weight_decay=-1.0)])
def test_invalid_options_raise_value_error_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.Adam([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        st.optim.Adam([st.zeros(1, requires_grad=True)], **kwargs)

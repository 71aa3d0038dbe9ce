"""RMSprop trajectories against torch for every option combination."""

import itertools

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers_optim import compare_trajectories

COMBOS = [
    dict(lr=0.01, alpha=a, eps=e, momentum=m, centered=c, weight_decay=wd)
    for a, e, m, c, wd in itertools.product([0.99, 0.9], [1e-8, 1e-3], [0.0, 0.9], [False, True], [0.0, 0.05])
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", COMBOS, ids=[str(c) for c in COMBOS])
def test_rmsprop_matches_torch(kwargs, dtype):
    compare_trajectories(torch.optim.RMSprop, st.optim.RMSprop, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", [dict(lr=-0.1), dict(eps=-1.0), dict(alpha=-0.5), dict(momentum=-1.0)])
def test_invalid_options_raise_value_error_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.RMSprop([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        st.optim.RMSprop([st.zeros(1, requires_grad=True)], **kwargs)

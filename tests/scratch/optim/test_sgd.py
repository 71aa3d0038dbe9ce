"""SGD trajectories against torch for every option combination."""

import itertools

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers_optim import compare_trajectories

COMBOS = [
    dict(lr=0.1, momentum=m, dampening=d, nesterov=n, weight_decay=wd)
    for m, d, n, wd in itertools.product([0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 0.05])
    if not (n and (m == 0 or d != 0))
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", COMBOS, ids=[str(c) for c in COMBOS])
def test_sgd_matches_torch(kwargs, dtype):
    compare_trajectories(torch.optim.SGD, st.optim.SGD, kwargs, dtype=dtype)


def test_param_groups_with_their_own_options():
    def groups(p):
        return [{"params": p[:2], "lr": 0.05}, {"params": p[2:], "momentum": 0.5}]

    compare_trajectories(torch.optim.SGD, st.optim.SGD, dict(lr=0.1), groups=groups)


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1.0),
                                    dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)])
def test_invalid_options_raise_value_error_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        st.optim.SGD([st.zeros(1, requires_grad=True)], **kwargs)

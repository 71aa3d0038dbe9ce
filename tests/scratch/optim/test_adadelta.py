"""Adadelta trajectories against torch for every option combination."""

import itertools

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers_optim import compare_trajectories

COMBOS = [dict(lr=lr, rho=rho, eps=eps, weight_decay=wd)
          for lr, rho, eps, wd in itertools.product([1.0, 0.5], [0.9, 0.5], [1e-6, 1e-3], [0.0, 0.05])]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", COMBOS, ids=[str(c) for c in COMBOS])
def test_adadelta_matches_torch(kwargs, dtype):
    compare_trajectories(torch.optim.Adadelta, st.optim.Adadelta, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(rho=1.5), dict(eps=-1.0), dict(weight_decay=-1.0)])
def test_invalid_options_raise_value_error_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.Adadelta([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        st.optim.Adadelta([st.zeros(1, requires_grad=True)], **kwargs)

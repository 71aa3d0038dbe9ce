"""The Optimizer base: zero_grad, skipped parameters, state_dict round trip, errors."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers_optim import compare_trajectories


def test_empty_parameter_list_raises_value_error():
    with pytest.raises(ValueError):
        torch.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        st.optim.SGD([], lr=0.1)


def test_parameters_without_grad_are_left_alone():
    a, b = st.ones(2, requires_grad=True), st.ones(2, requires_grad=True)
    opt = st.optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert not np.allclose(a.data, 1) and np.all(b.data == 1) and b not in opt.state


def test_zero_grad_sets_to_none():
    a = st.ones(2, requires_grad=True)
    opt = st.optim.SGD([a], lr=0.1)
    (a * 2).sum().backward()
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("cls,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05, amsgrad=True)),
                                        ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                        ("Adadelta", dict(lr=1.0, weight_decay=0.01))])
def test_state_dict_resumes_exactly(cls, kwargs):
    s_opt, t_opt = compare_trajectories(getattr(torch.optim, cls), getattr(st.optim, cls), kwargs, steps=5)
    state, t_state = s_opt.state_dict(), t_opt.state_dict()
    assert sorted(state["state"]) == sorted(t_state["state"]) == [0, 1, 2, 3]
    assert sorted(state["state"][0]) == sorted(t_state["state"][0])  # same state names as torch
    assert state["param_groups"][0]["params"] == t_state["param_groups"][0]["params"]
    params = [p for g in s_opt.param_groups for p in g["params"]]
    fresh = getattr(st.optim, cls)(params, **kwargs)
    fresh.load_state_dict(state)
    for p in params:
        p.grad = st.Tensor(np.ones_like(p.data))
    before = [p.data.copy() for p in params]
    fresh.step()
    after_fresh = [p.data.copy() for p in params]
    for p, b in zip(params, before, strict=True):
        p.data[...] = b
    s_opt.step()
    for p, a in zip(params, after_fresh, strict=True):
        np.testing.assert_array_equal(p.data, a)

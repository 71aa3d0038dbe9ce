"""Run an optimizer in both engines on the same small MLP and compare the trajectories."""

import numpy as np
import torch

import shendu.scratch as st


def _loss(lib, params, x, y):
    w1, b1, w2, b2 = params
    if lib is torch:
        hidden = torch.tanh(x @ w1.T + b1)
        return ((hidden @ w2.T + b2 - y) ** 2).mean()
    hidden = (x @ w1.T + b1).tanh()
    return ((hidden @ w2.T + b2 - y) ** 2).mean()


def compare_trajectories(torch_cls, scratch_cls, kwargs, steps=20, dtype=np.float64, groups=None,
                         scheduler=None):
    """Take `steps` steps in both engines from the same start; assert params agree after each.

    Each engine differentiates the same MLP loss itself, so the gradient sequences agree as
    long as the updates do. `groups(params) -> param_groups` builds per-group options;
    `scheduler(optimizer, lr_scheduler_module) -> scheduler` adds an lr scheduler, stepped
    after every optimizer step in both engines.
    """
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(5, 3), (5,), (2, 5), (2,)]]
    x, y = rng.standard_normal((8, 3)).astype(dtype), rng.standard_normal((8, 2)).astype(dtype)
    t_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    s_params = [st.Tensor(a.copy(), requires_grad=True) for a in arrays]
    t_opt = torch_cls(groups(t_params) if groups else t_params, **kwargs)
    s_opt = scratch_cls(groups(s_params) if groups else s_params, **kwargs)
    tx, ty, sx, sy = torch.from_numpy(x), torch.from_numpy(y), st.tensor(x), st.tensor(y)
    if scheduler is not None:
        t_sched, s_sched = scheduler(t_opt, torch.optim.lr_scheduler), scheduler(s_opt, st.optim.lr_scheduler)
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-4, atol=1e-5)
    moved = 0.0
    for step in range(steps):
        t_opt.zero_grad()
        _loss(torch, t_params, tx, ty).backward()
        t_opt.step()
        s_opt.zero_grad()
        _loss(st, s_params, sx, sy).backward()
        s_opt.step()
        if scheduler is not None:
            t_sched.step()
            s_sched.step()
        for i, (s, t) in enumerate(zip(s_params, t_params, strict=True)):
            np.testing.assert_allclose(s.data, t.detach().numpy(), err_msg=f"param {i} after step {step + 1}", **tol)
            assert s.dtype == dtype
    moved = max(np.abs(s.data - a).max() for s, a in zip(s_params, arrays, strict=True))
    assert moved > 1e-3, "the optimizer barely moved: the comparison would be vacuous"
    return s_opt, t_opt

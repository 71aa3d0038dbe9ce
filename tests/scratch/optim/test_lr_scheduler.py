"""StepLR and ReduceLROnPlateau produce torch's learning-rate sequences."""

import pytest
import torch

import shendu.scratch as st
from shendu.scratch.optim.lr_scheduler import ReduceLROnPlateau, StepLR, is_improvement


def _optimizers(lr=0.1):
    return (torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr),
            st.optim.SGD([st.zeros(1, requires_grad=True)], lr=lr))


@pytest.mark.parametrize("step_size,gamma", [(3, 0.5), (1, 0.9), (7, 0.1)])
def test_step_lr_sequence(step_size, gamma):
    t_opt, s_opt = _optimizers()
    theirs, ours = torch.optim.lr_scheduler.StepLR(t_opt, step_size, gamma), StepLR(s_opt, step_size, gamma)
    assert ours.get_last_lr() == theirs.get_last_lr()
    for _ in range(20):
        t_opt.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-15)
        assert s_opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-15)


METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.89999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(patience=2), dict(mode="max", patience=1), dict(threshold_mode="abs", threshold=0.05, patience=1),
     dict(mode="max", threshold_mode="abs", patience=0), dict(patience=1, cooldown=2, factor=0.5),
     dict(patience=0, min_lr=0.02, factor=0.3), dict(patience=1, eps=0.05)],
)
def test_reduce_lr_on_plateau_sequence(kwargs):
    t_opt, s_opt = _optimizers()
    theirs, ours = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs), ReduceLROnPlateau(s_opt, **kwargs)
    lrs, t_lrs = [], []
    for metric in METRICS:
        theirs.step(metric)
        ours.step(st.tensor(metric))
        lrs.append(s_opt.param_groups[0]["lr"])
        t_lrs.append(t_opt.param_groups[0]["lr"])
    assert lrs == pytest.approx(t_lrs, rel=1e-15)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())


def test_reduce_lr_on_plateau_actually_reduces():
    _, s_opt = _optimizers()
    ours = ReduceLROnPlateau(s_opt, patience=1)
    for m in [1.0, 1.0, 1.0]:
        ours.step(m)
    assert s_opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_is_improvement_pure_helper():
    assert is_improvement(0.89, 1.0, "min", "rel", 0.1)
    assert not is_improvement(0.91, 1.0, "min", "rel", 0.1)
    assert is_improvement(1.2, 1.0, "max", "abs", 0.1) and not is_improvement(1.05, 1.0, "max", "abs", 0.1)


def test_invalid_options_raise_value_error_like_torch():
    t_opt, s_opt = _optimizers()
    for kwargs in (dict(factor=1.0), dict(mode="avg"), dict(threshold_mode="pct")):
        with pytest.raises(ValueError):
            torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
        with pytest.raises(ValueError):
            ReduceLROnPlateau(s_opt, **kwargs)

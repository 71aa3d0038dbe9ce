"""The schedulers produce torch's learning-rate (and momentum) sequences."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch.optim.lr_scheduler import (
    CosineAnnealingLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
    anneal_cos,
    anneal_linear,
    is_improvement,
    one_cycle_phases,
)

from .helpers_optim import compare_trajectories


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


# ---- CosineAnnealingLR and OneCycleLR ------------------------------------------------------------
TIGHT = dict(rel=1e-12, abs=1e-15)


def _twin_optimizers(torch_cls, scratch_cls, lrs=(0.1,), **kwargs):
    """One optimizer per engine, one param group per lr."""
    t_groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    s_groups = [{"params": [st.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch_cls(t_groups, **kwargs), scratch_cls(s_groups, **kwargs)


def _momentum(optimizer) -> list:
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _run_both(t_opt, s_opt, theirs, ours, steps, momentum=False):
    """Step both schedulers `steps` times; return ([(lrs, momenta)] ours, theirs), construction included."""
    def record(opt):
        return ([g["lr"] for g in opt.param_groups], _momentum(opt) if momentum else [])

    seq_ours, seq_theirs = [record(s_opt)], [record(t_opt)]
    for _ in range(steps):
        t_opt.step()  # torch warns if its scheduler steps before its optimizer ever did
        theirs.step()
        ours.step()
        seq_ours.append(record(s_opt))
        seq_theirs.append(record(t_opt))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), **TIGHT)
    return seq_ours, seq_theirs


def _assert_sequences_equal(seq_ours, seq_theirs):
    for step, ((lrs, moms), (t_lrs, t_moms)) in enumerate(zip(seq_ours, seq_theirs, strict=True)):
        assert lrs == pytest.approx(t_lrs, **TIGHT), f"lr at step {step}"
        assert moms == pytest.approx(t_moms, **TIGHT), f"momentum at step {step}"


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.0), (7, 0.01), (1, 0.0), (50, 1e-4)])
def test_cosine_annealing_sequence_over_50_steps(T_max, eta_min):  # noqa: N803
    t_opt, s_opt = _twin_optimizers(torch.optim.SGD, st.optim.SGD, lrs=(0.1, 0.03))
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max, eta_min)
    ours = CosineAnnealingLR(s_opt, T_max, eta_min)
    seq_ours, seq_theirs = _run_both(t_opt, s_opt, theirs, ours, 50)
    _assert_sequences_equal(seq_ours, seq_theirs)
    lrs = [lr for (lr, _), _ in seq_ours]
    assert min(lrs) == pytest.approx(eta_min, abs=1e-12) and lrs[0] == 0.1  # it really anneals


def test_cosine_annealing_follows_the_closed_form_until_t_max():
    _, s_opt = _twin_optimizers(torch.optim.SGD, st.optim.SGD, lrs=(0.2,))
    ours = CosineAnnealingLR(s_opt, T_max=12, eta_min=0.02)
    for t in range(1, 13):
        ours.step()
        expected = 0.02 + (0.2 - 0.02) * (1 + np.cos(np.pi * t / 12)) / 2
        assert s_opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)


def test_cosine_annealing_resumed_at_last_epoch_uses_the_closed_form_like_torch():
    t_opt, s_opt = _twin_optimizers(torch.optim.SGD, st.optim.SGD, lrs=(0.1,))
    for opt in (t_opt, s_opt):
        opt.param_groups[0]["initial_lr"] = 0.1
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, 20, 0.001, last_epoch=6)
    ours = CosineAnnealingLR(s_opt, 20, 0.001, last_epoch=6)
    _assert_sequences_equal(*_run_both(t_opt, s_opt, theirs, ours, 25))


def test_resuming_without_initial_lr_raises_key_error_like_torch():
    t_opt, s_opt = _twin_optimizers(torch.optim.SGD, st.optim.SGD)
    with pytest.raises(KeyError):
        torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, 10, last_epoch=3)
    with pytest.raises(KeyError):
        CosineAnnealingLR(s_opt, 10, last_epoch=3)


OPTIMIZERS = {
    "SGD": (torch.optim.SGD, st.optim.SGD, dict(momentum=0.9)),
    "Adam": (torch.optim.Adam, st.optim.Adam, {}),
    "AdamW": (torch.optim.AdamW, st.optim.AdamW, {}),
    "RMSprop": (torch.optim.RMSprop, st.optim.RMSprop, {}),
}
ONE_CYCLE_CASES = [
    dict(max_lr=0.1, total_steps=50),
    dict(max_lr=0.1, total_steps=50, three_phase=True),
    dict(max_lr=0.1, total_steps=50, anneal_strategy="linear"),
    dict(max_lr=0.1, total_steps=50, anneal_strategy="linear", three_phase=True, pct_start=0.25),
    dict(max_lr=[0.1, 0.01], epochs=5, steps_per_epoch=10, base_momentum=[0.8, 0.7], max_momentum=0.9),
    dict(max_lr=0.5, total_steps=50, pct_start=0.1, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.1, total_steps=50, cycle_momentum=False),
    dict(max_lr=0.1, total_steps=7, pct_start=0.5),
]


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("kwargs", ONE_CYCLE_CASES, ids=range(len(ONE_CYCLE_CASES)))
def test_one_cycle_lr_and_momentum_sequences_over_the_full_schedule(optimizer, kwargs):
    torch_cls, scratch_cls, options = OPTIMIZERS[optimizer]
    t_opt, s_opt = _twin_optimizers(torch_cls, scratch_cls, lrs=(0.1, 0.05), **options)
    theirs = torch.optim.lr_scheduler.OneCycleLR(t_opt, **kwargs)
    ours = OneCycleLR(s_opt, **kwargs)
    seq_ours, seq_theirs = _run_both(t_opt, s_opt, theirs, ours, theirs.total_steps, momentum=True)
    _assert_sequences_equal(seq_ours, seq_theirs)
    for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
        assert [g.get(key) for g in s_opt.param_groups] == [g.get(key) for g in t_opt.param_groups], key
    lrs = [lrs[0] for lrs, _ in seq_ours]
    # up, then down to min_lr at step total_steps - 1 (the extra last step overshoots, as in torch)
    assert max(lrs) > 5 * lrs[0] and lrs[-2] == pytest.approx(s_opt.param_groups[0]["min_lr"])
    if kwargs.get("cycle_momentum", True):
        momenta = [m[0] for _, m in seq_ours]
        assert momenta[0] == pytest.approx(0.9 if "max_momentum" in kwargs else 0.95) and min(momenta) < momenta[0]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_one_cycle_stepping_past_total_steps_raises_torchs_value_error(optimizer):
    torch_cls, scratch_cls, options = OPTIMIZERS[optimizer]
    t_opt, s_opt = _twin_optimizers(torch_cls, scratch_cls, **options)
    theirs, ours = torch.optim.lr_scheduler.OneCycleLR(t_opt, 0.1, 10), OneCycleLR(s_opt, 0.1, 10)
    _run_both(t_opt, s_opt, theirs, ours, 10)  # steps 1..10 are allowed
    with pytest.raises(ValueError) as torch_error:
        theirs.step()
    with pytest.raises(ValueError) as scratch_error:
        ours.step()
    assert str(scratch_error.value) == str(torch_error.value) == (
        "Tried to step 11 times. The specified number of total steps is 10"
    )


@pytest.mark.parametrize(
    "kwargs",
    [dict(max_lr=0.1), dict(max_lr=0.1, total_steps=0), dict(max_lr=0.1, total_steps=2.5),
     dict(max_lr=0.1, epochs=0, steps_per_epoch=3), dict(max_lr=0.1, epochs=2, steps_per_epoch=-1),
     dict(max_lr=0.1, total_steps=10, pct_start=1.5), dict(max_lr=0.1, total_steps=10, pct_start=0),
     dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), dict(max_lr=[0.1, 0.2, 0.3], total_steps=10),
     dict(max_lr=0.1, total_steps=10, base_momentum=[0.8])],
)
def test_one_cycle_invalid_options_raise_value_error_like_torch(kwargs):
    t_opt, s_opt = _twin_optimizers(torch.optim.SGD, st.optim.SGD, lrs=(0.1, 0.2), momentum=0.9)
    with pytest.raises(ValueError) as torch_error:
        torch.optim.lr_scheduler.OneCycleLR(t_opt, **kwargs)
    with pytest.raises(ValueError) as scratch_error:
        OneCycleLR(s_opt, **kwargs)
    assert str(scratch_error.value) == str(torch_error.value)


def test_one_cycle_momentum_needs_an_optimizer_with_momentum_or_betas():
    t_opt, s_opt = _twin_optimizers(torch.optim.Adadelta, st.optim.Adadelta)
    with pytest.raises(ValueError, match="momentum or beta1"):
        torch.optim.lr_scheduler.OneCycleLR(t_opt, 0.1, 10)
    with pytest.raises(ValueError, match="momentum or beta1"):
        OneCycleLR(s_opt, 0.1, 10)
    OneCycleLR(s_opt, 0.1, 10, cycle_momentum=False)  # lr only: fine


def test_one_cycle_state_dict_round_trip_resumes_the_same_schedule():
    _, s_opt = _twin_optimizers(torch.optim.Adam, st.optim.Adam)
    ours = OneCycleLR(s_opt, 0.1, 30)
    for _ in range(12):
        ours.step()
    saved, saved_group = ours.state_dict(), dict(s_opt.param_groups[0])
    rest = [ours.step() or (s_opt.param_groups[0]["lr"], s_opt.param_groups[0]["betas"]) for _ in range(18)]
    _, other_opt = _twin_optimizers(torch.optim.Adam, st.optim.Adam)
    resumed = OneCycleLR(other_opt, 0.1, 30)
    resumed.load_state_dict(saved)
    other_opt.param_groups[0].update({k: v for k, v in saved_group.items() if k != "params"})
    again = [resumed.step() or (other_opt.param_groups[0]["lr"], other_opt.param_groups[0]["betas"]) for _ in range(18)]
    assert again == rest


def test_one_cycle_pure_helpers():
    assert anneal_cos(1.0, 0.0, 0.0) == 1.0 and anneal_cos(1.0, 0.0, 1.0) == 0.0
    assert anneal_cos(1.0, 0.0, 0.5) == pytest.approx(0.5) and anneal_linear(2.0, 4.0, 0.25) == 2.5
    assert one_cycle_phases(100, 0.3, False) == [
        (29.0, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
        (99, "max_lr", "min_lr", "base_momentum", "max_momentum"),
    ]
    assert [phase[0] for phase in one_cycle_phases(100, 0.3, True)] == [29.0, 58.0, 99]


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW", "SGD"])
def test_one_cycle_parameter_trajectory_matches_torch(optimizer):
    """20 steps of optimizer + OneCycleLR: the cycled lr and beta1/momentum reach the updates."""
    torch_cls, scratch_cls, options = OPTIMIZERS[optimizer]
    compare_trajectories(torch_cls, scratch_cls, dict(lr=0.01, **options), steps=20,
                         scheduler=lambda opt, sched: sched.OneCycleLR(opt, max_lr=0.05, total_steps=20))


def test_cosine_annealing_parameter_trajectory_matches_torch():
    compare_trajectories(torch.optim.AdamW, st.optim.AdamW, dict(lr=0.05), steps=20,
                         scheduler=lambda opt, sched: sched.CosineAnnealingLR(opt, T_max=8, eta_min=0.001))


def test_one_cycle_beta1_cycling_changes_the_adam_trajectory():
    """Guard against an optimizer that caches betas: freezing beta1 must give other parameters."""
    def final_params(cycle):
        st.manual_seed(0)
        p = st.Tensor(np.linspace(-1, 1, 6), requires_grad=True)
        opt = st.optim.Adam([p], lr=0.01)
        sched = OneCycleLR(opt, max_lr=0.05, total_steps=20, cycle_momentum=cycle)
        for _ in range(20):
            opt.zero_grad()
            ((p * p * p).sum()).backward()
            opt.step()
            sched.step()
        return p.data.copy()

    assert np.abs(final_params(True) - final_params(False)).max() > 1e-6

"""The zoo twins match the torch models of shendu.models: keys, forward, and a training step."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import shendu.scratch as st
from shendu import models
from shendu.scratch import zoo

from .helpers import assert_close, load_scratch_into_torch, load_torch_into_scratch

# (factory name, kwargs, input shape): the input shapes exercise flatten of (N, 8, 8) too.
CASES = [
    ("mnist_net", {}, (3, 1, 28, 28)),
    ("mnist_net", dict(in_channels=3, num_classes=5, image_size=16), (2, 3, 16, 16)),
    ("digits_mlp", {}, (5, 64)),
    ("digits_mlp", {}, (5, 8, 8)),
    ("digits_mlp", dict(hidden=32, activation="relu", num_classes=3, in_features=20), (4, 20)),
    ("digits_mlp", dict(activation="sigmoid"), (4, 64)),
    ("xor_net", {}, (4, 2)),
    ("xor_net", dict(hidden=8, activation="relu"), (4, 2)),
    ("xor_net", dict(hidden=0), (4, 2)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]
FLOAT32 = dict(atol=1e-5, rtol=1e-4)


def _twins(name, kwargs):
    return getattr(models, name)(**kwargs), getattr(zoo, name)(**kwargs)


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_twins_have_the_same_classes_keys_and_shapes(name, kwargs, shape):
    theirs, ours = _twins(name, kwargs)
    assert type(ours).__name__ == type(theirs).__name__
    t_state, s_state = theirs.state_dict(), ours.state_dict()
    assert list(s_state) == list(t_state)
    assert {k: v.shape for k, v in s_state.items()} == {k: tuple(v.shape) for k, v in t_state.items()}
    assert all(v.dtype == np.float32 for v in s_state.values())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_torch_weights_in_scratch_give_torchs_outputs(name, kwargs, shape):
    theirs, ours = _twins(name, kwargs)
    load_torch_into_scratch(theirs, ours)
    theirs.eval(), ours.eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x))
    with st.no_grad():
        got = ours(st.tensor(x))
    assert got.dtype == np.float32
    assert_close(got, expected, what=f"{name} output", **FLOAT32)


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=IDS)
def test_scratch_weights_load_into_torch_strictly_and_agree(name, kwargs, shape):
    theirs, ours = _twins(name, kwargs)
    load_scratch_into_torch(ours, theirs)  # strict=True: every key present, none extra
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[key], err_msg=key)
    theirs.eval(), ours.eval()
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x))
    assert_close(ours(st.tensor(x)), expected, what=f"{name} output", **FLOAT32)


def _training_step_matches(theirs, ours, x, target, steps=1):
    """float64: same loss and gradient of every parameter; then an Adam step lands on the same weights."""
    theirs.double()
    ours.double()
    load_torch_into_scratch(theirs, ours)
    t_opt, s_opt = torch.optim.Adam(theirs.parameters(), lr=1e-3), st.optim.Adam(ours.parameters(), lr=1e-3)
    for step in range(steps):
        t_opt.zero_grad()
        t_loss = torch_F.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(target))
        t_loss.backward()
        s_opt.zero_grad()
        s_loss = st.functional.cross_entropy(ours(st.tensor(x)), target)
        s_loss.backward()
        assert s_loss.item() == pytest.approx(t_loss.item(), rel=1e-12), f"loss at step {step}"
        ours_by_name = dict(ours.named_parameters())
        for key, p in theirs.named_parameters():
            assert ours_by_name[key].grad is not None, f"no gradient for {key}"
            assert ours_by_name[key].grad.dtype == np.float64
            assert np.abs(p.grad.numpy()).max() > 0, f"{key}: zero gradient, vacuous comparison"
            assert_close(ours_by_name[key].grad, p.grad, atol=1e-12, rtol=1e-8, what=f"grad of {key}")
        t_opt.step()
        s_opt.step()
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, atol=1e-12, rtol=1e-9, what=f"{key} after the step")


@pytest.mark.parametrize("dropout_off", ["eval", "p=0"])
def test_mnist_net_training_step_matches_torch_in_float64(dropout_off):
    theirs, ours = models.mnist_net(), zoo.mnist_net()
    if dropout_off == "eval":
        theirs.eval(), ours.eval()
    else:
        for model in (theirs, ours):
            model.dropout1.p = model.dropout2.p = 0.0
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 1, 28, 28))
    target = rng.integers(0, 10, 4)
    _training_step_matches(theirs, ours, x, target)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_two_layer_net_training_steps_match_torch_in_float64(activation):
    theirs, ours = models.digits_mlp(activation=activation), zoo.digits_mlp(activation=activation)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 8, 8))
    target = rng.integers(0, 10, 16)
    _training_step_matches(theirs, ours, x, target, steps=3)


@pytest.mark.parametrize("hidden", [4, 0])
def test_xor_net_training_steps_match_torch_in_float64(hidden):
    theirs, ours = models.xor_net(hidden), zoo.xor_net(hidden)
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    _training_step_matches(theirs, ours, x, np.array([0, 1, 1, 0]), steps=3)


def test_mnist_net_dropout_is_active_in_train_mode_only():
    ours = zoo.mnist_net()
    x = st.tensor(np.random.default_rng(5).standard_normal((2, 1, 28, 28)).astype(np.float32))
    with st.no_grad():
        ours.eval()
        first, second = ours(x).numpy(), ours(x).numpy()
        ours.train()
        dropped = ours(x).numpy()
    np.testing.assert_array_equal(first, second)
    assert np.abs(dropped - first).max() > 1e-4


def test_default_initialization_follows_torchs_bounds():
    ours = zoo.mnist_net()
    for key, fan_in in [("conv1", 9), ("conv2", 32 * 9), ("fc1", 9216), ("fc2", 128)]:
        bound = 1 / math.sqrt(fan_in)
        weight, bias = ours.state_dict()[f"{key}.weight"], ours.state_dict()[f"{key}.bias"]
        assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound, key
        assert np.abs(bias).max() <= bound, key


def test_unknown_activation_raises_torchs_value_error():
    with pytest.raises(ValueError) as torch_error:
        models.digits_mlp(activation="gelu")
    with pytest.raises(ValueError) as scratch_error:
        zoo.digits_mlp(activation="gelu")
    assert str(scratch_error.value) == str(torch_error.value)

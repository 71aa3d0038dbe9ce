"""The newer nn layers against torch's: state dicts load both ways, outputs and every gradient agree.

Bidirectional and stacked RNN/LSTM/GRU take a torch module's state_dict (weight_ih_l0_reverse, ...)
and must give torch's outputs, final states, input gradients and parameter gradients.
"""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from .helpers import helper_test_module


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """torch's thread pool spins on a busy 2-core machine (0.4 s for one tiny grouped conv); one thread doesn't."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _x(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


# ---- activations and losses as modules ---------------------------------------------------------------

@pytest.mark.parametrize("name,kwargs", [("SiLU", {}), ("ELU", {"alpha": 0.5}), ("Softplus", {"beta": 3.0, "threshold": 2.0}),
                                         ("GELU", {"approximate": "tanh"}), ("GELU", {}), ("Mish", {}),
                                         ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("ReLU6", {}),
                                         ("LogSigmoid", {})])
def test_activation_modules(name, kwargs):
    helper_test_module(getattr(torch.nn, name)(**kwargs), getattr(nn, name)(**kwargs), [_x(3, 5, scale=4.0)])


def _loss_cases():
    rng = np.random.default_rng(7)
    weight, pos_weight = rng.uniform(0.5, 2.0, (1, 4)), rng.uniform(0.5, 3.0, 4)
    class_weight = rng.uniform(0.5, 2.0, 4)
    probs, logits = rng.random((3, 4)), rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    return [
        ("BCEWithLogitsLoss", dict(weight=weight, pos_weight=pos_weight), probs),
        ("BCEWithLogitsLoss", dict(reduction="sum"), probs),
        ("L1Loss", dict(reduction="none"), logits),
        ("SmoothL1Loss", dict(beta=0.4), logits),
        ("HuberLoss", dict(delta=0.7, reduction="sum"), logits),
        ("CrossEntropyLoss", dict(label_smoothing=0.2, weight=class_weight, ignore_index=3), labels),
        ("CrossEntropyLoss", dict(label_smoothing=0.1), rng.dirichlet(np.ones(4), size=3)),
        ("KLDivLoss", dict(reduction="batchmean"), rng.dirichlet(np.ones(4), size=3)),
    ]


@pytest.mark.parametrize("name,kwargs,target", _loss_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_loss_modules(name, kwargs, target):
    t_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs, ours = getattr(torch.nn, name)(**t_kwargs), getattr(nn, name)(**kwargs)
    scores = _x(3, 4, seed=1)
    if name == "KLDivLoss":
        scores = np.log(np.random.default_rng(2).dirichlet(np.ones(4), size=3))
    t_target = torch.from_numpy(target)
    s_target = st.tensor(target)
    helper_test_module(theirs, ours, [scores], call=lambda m, x: m(x, t_target if isinstance(x, torch.Tensor) else s_target))


# ---- convolution, pooling, padding layers ------------------------------------------------------------

@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, groups=2, dilation=2, padding=2),
                                    dict(kernel_size=4, padding="same", padding_mode="reflect", bias=False),
                                    dict(kernel_size=2, stride=2, padding=1, padding_mode="circular"),
                                    dict(kernel_size=3, groups=4, padding=1, padding_mode="replicate")])
@pytest.mark.parametrize("name", ["Conv1d", "Conv2d"])
def test_conv_layers(name, kwargs, direction):
    theirs, ours = getattr(torch.nn, name)(4, 8, **kwargs), getattr(nn, name)(4, 8, **kwargs)
    shape = (2, 4, 9) if name == "Conv1d" else (2, 4, 7, 6)
    helper_test_module(theirs, ours, [_x(*shape)], direction=direction)


def test_conv1d_unbatched_and_init_bounds():
    helper_test_module(torch.nn.Conv1d(3, 2, 3), nn.Conv1d(3, 2, 3), [_x(3, 7)])
    m = nn.Conv2d(6, 3, 3, groups=3)
    assert m.weight.shape == (3, 2, 3, 3)
    assert np.abs(m.weight.data).max() <= 1 / np.sqrt(2 * 9)  # fan_in counts one group's channels, as torch


@pytest.mark.parametrize("kwargs", [dict(in_channels=3, out_channels=4, kernel_size=3, groups=2),
                                    dict(in_channels=4, out_channels=3, kernel_size=3, groups=2),
                                    dict(in_channels=4, out_channels=4, kernel_size=3, padding_mode="zero"),
                                    dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding="same")])
def test_conv_layer_errors_match_torch(kwargs):
    with pytest.raises(ValueError):
        torch.nn.Conv2d(**kwargs)
    with pytest.raises(ValueError, match="groups|padding"):
        nn.Conv2d(**kwargs)


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 7)),
    ("MaxPool1d", (2,), dict(ceil_mode=True), (2, 3, 7)),
    ("AvgPool1d", (3,), dict(stride=2, ceil_mode=True), (2, 3, 8)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 3, 7, 8)),
    ("ReflectionPad2d", ((1, 2, 2, 0),), {}, (2, 3, 4, 5)),
    ("ReplicationPad1d", (2,), {}, (2, 3, 4)),
    ("ZeroPad2d", (1,), {}, (1, 2, 3, 3)),
    ("ConstantPad1d", ((2, -1), 0.5), {}, (2, 3, 4)),
    ("CircularPad2d", (1,), {}, (1, 2, 3, 3)),
])
def test_pooling_and_padding_layers(name, args, kwargs, shape):
    x = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) / 10.0  # no ties for max
    helper_test_module(getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs), [x])


# ---- normalization layers ------------------------------------------------------------------------------

@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(3, 6, 4), (2, 6, 3, 2)])
def test_group_norm_layer(shape, affine):
    theirs, ours = torch.nn.GroupNorm(3, 6, affine=affine), nn.GroupNorm(3, 6, affine=affine)
    with torch.no_grad():
        for p in theirs.parameters():  # not the initial ones and zeros
            p.copy_(torch.randn_like(p))
    helper_test_module(theirs, ours, [_x(*shape)])
    with pytest.raises(ValueError):
        nn.GroupNorm(4, 6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalized_shape,kwargs", [(5, {}), ((3, 5), {"eps": 1e-3}), (5, {"elementwise_affine": False})])
def test_rms_norm_layer(normalized_shape, kwargs, dtype):
    theirs, ours = torch.nn.RMSNorm(normalized_shape, **kwargs), nn.RMSNorm(normalized_shape, **kwargs)
    assert ours.eps == theirs.eps  # None: the input dtype's machine epsilon, as torch
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p))
    # tiny inputs: mean(x^2) ~ 1e-8 is comparable to float32's eps (1.2e-7), so the default eps shows
    helper_test_module(theirs, ours, [_x(2, 3, 5, scale=1e-4).astype(dtype)], dtype=dtype)


# ---- bidirectional, stacked recurrent layers ---------------------------------------------------------

RECURRENT_CONFIGS = [
    dict(num_layers=1, batch_first=False),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=2, batch_first=False, bias=False),
]


def _state_call(name):
    if name == "LSTM":
        return lambda m, x, h, c: m(x, (h, c))
    return lambda m, x, h: m(x, h)


@pytest.mark.parametrize("config", RECURRENT_CONFIGS, ids=["1layer", "2layer-batch_first", "2layer-no_bias"])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_bidirectional_recurrent_layers_load_torch_state_dicts(name, config):
    theirs = getattr(torch.nn, name)(3, 4, bidirectional=True, **config)
    ours = getattr(nn, name)(3, 4, bidirectional=True, **config)
    assert [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()] == \
        [(k, v.shape) for k, v in ours.state_dict().items()]  # weight_ih_l0_reverse, ... in torch's order
    batch, steps = 2, 4
    x = _x(batch, steps, 3) if config["batch_first"] else _x(steps, batch, 3)
    out, _ = helper_test_module(theirs, ours, [x])  # zero initial state; output (.., 2H), h_n (2L, B, H)
    assert out[0].shape[-1] == 8 and out[1].shape == (2 * config["num_layers"], batch, 4)
    states = [_x(2 * config["num_layers"], batch, 4, seed=s) for s in range(2 if name == "LSTM" else 1)]
    helper_test_module(theirs, ours, [x, *states], call=_state_call(name), direction="none")


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_bidirectional_unbatched_float32_and_back_into_torch(name):
    theirs, ours = getattr(torch.nn, name)(3, 2, num_layers=2, bidirectional=True), \
        getattr(nn, name)(3, 2, num_layers=2, bidirectional=True)
    helper_test_module(theirs, ours, [_x(5, 3).astype(np.float32)], dtype=np.float32, direction="scratch_to_torch")


def test_bidirectional_gradcheck():
    m = nn.GRU(2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = st.Tensor(_x(2, 3, 2), requires_grad=True)
    assert st.gradcheck(lambda t: m(t)[0], x)

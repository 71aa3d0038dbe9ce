"""nn.init: fan computation and gains equal torch's; samples have the intended distribution."""

import math

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch.nn import init


@pytest.mark.parametrize("shape", [(20, 30), (8, 4, 3, 3), (5, 7, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(st.zeros(*shape)) == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fans_need_two_dims_like_torch():
    with pytest.raises(ValueError):
        torch.nn.init.xavier_uniform_(torch.zeros(3))
    with pytest.raises(ValueError):
        init.xavier_uniform_(st.zeros(3))


@pytest.mark.parametrize("args", [("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("sigmoid",), ("selu",)])
def test_gains_match_torch(args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


SHAPE = (400, 300)


@pytest.mark.parametrize(
    "name,kwargs,expected_std",
    [
        ("xavier_uniform_", {}, math.sqrt(2 / 700)),
        ("xavier_normal_", {"gain": 2.0}, 2 * math.sqrt(2 / 700)),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, 1 / math.sqrt(300) / math.sqrt(3)),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 400)),
        ("normal_", {"mean": 1.0, "std": 0.5}, 0.5),
        ("uniform_", {"a": -2.0, "b": 2.0}, 4 / math.sqrt(12)),
    ],
)
def test_distributions(name, kwargs, expected_std):
    ours = getattr(init, name)(st.zeros(*SHAPE), **kwargs).numpy()
    theirs = getattr(torch.nn.init, name)(torch.zeros(SHAPE), **kwargs).numpy()
    assert ours.dtype == np.float32
    assert ours.std() == pytest.approx(expected_std, rel=0.02)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.03)
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.02)
    if "uniform" in name:
        assert np.abs(ours - ours.mean()).max() <= np.abs(theirs - theirs.mean()).max() * 1.01


def test_constants_and_in_place():
    t = st.randn(3, 3, dtype=st.float64)
    data = t.data
    assert init.zeros_(t) is t and t.data is data and np.all(data == 0)
    init.ones_(t)
    assert np.all(data == 1) and t.dtype == np.float64
    init.constant_(t, 0.3)
    assert np.all(data == 0.3)


def test_bad_kaiming_mode_raises_value_error():
    with pytest.raises(ValueError):
        torch.nn.init.kaiming_uniform_(torch.zeros(2, 2), mode="fan_avg")
    with pytest.raises(ValueError):
        init.kaiming_uniform_(st.zeros(2, 2), mode="fan_avg")

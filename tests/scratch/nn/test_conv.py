"""Conv2d / MaxPool2d / AvgPool2d modules, and the MNIST network end to end, against torch."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shendu.scratch as st
import shendu.scratch.functional as F
from shendu.scratch import nn

from ..helpers import helper_test_module


@pytest.mark.parametrize("direction", ["torch_to_scratch", "scratch_to_torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=3), dict(kernel_size=(3, 2), stride=2, padding=1),
                                    dict(kernel_size=3, padding="same", bias=False)])
def test_conv2d_module(kwargs, dtype, direction):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(dtype)
    helper_test_module(torch.nn.Conv2d(3, 4, **kwargs), nn.Conv2d(3, 4, **kwargs), [x], dtype=dtype, direction=direction)


def test_conv2d_default_init_matches_torch_bounds():
    m = nn.Conv2d(8, 4, 3)
    bound = 1 / math.sqrt(8 * 9)
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.bias.data).max() <= bound
    assert np.abs(m.weight.data).max() > 0.9 * bound


@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
@pytest.mark.parametrize("args", [(2,), (3, 2, 1), ((2, 3), (1, 2))])
def test_pool_modules(name, args):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    helper_test_module(getattr(torch.nn, name)(*args), getattr(nn, name)(*args), [x])


def mnist_net(lib):
    """The MNIST network of the benchmark, in either library."""

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = lib.Conv2d(1, 32, 3, 1), lib.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = lib.Dropout(0.25), lib.Dropout(0.5)
            self.fc1, self.fc2 = lib.Linear(9216, 128), lib.Linear(128, 10)

        def forward(self, x):
            f = TF if lib is torch.nn else F
            x = f.max_pool2d(f.relu(self.conv2(f.relu(self.conv1(x)))), 2)
            x = self.dropout1(x).flatten(1)
            x = self.dropout2(f.relu(self.fc1(x)))
            return f.log_softmax(self.fc2(x), 1)

    return Net()


def test_mnist_net_outputs_and_every_gradient_match_torch():
    x = np.random.default_rng(0).random((4, 1, 28, 28)).astype(np.float32)
    ours, theirs = mnist_net(nn).eval(), mnist_net(torch.nn).eval()  # eval: dropout off in both
    helper_test_module(theirs, ours, [x], dtype=np.float32, atol=1e-5, rtol=1e-3)


def test_mnist_net_one_training_step_matches_torch():
    rng = np.random.default_rng(1)
    x, y = rng.random((8, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 8)
    ours, theirs = mnist_net(nn).eval(), mnist_net(torch.nn).eval()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    opt, topt = st.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9), torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        F.nll_loss(ours(st.tensor(x)), y).backward()
        opt.step()
        topt.zero_grad()
        TF.nll_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for (name, v), (_, tv) in zip(ours.state_dict().items(), theirs.state_dict().items(), strict=True):
        np.testing.assert_allclose(v, tv.numpy(), atol=1e-5, rtol=1e-3, err_msg=name)


def test_gradcheck_conv_module():
    m = nn.Conv2d(2, 3, 2, stride=2, padding=1).double()
    x = st.Tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert st.gradcheck(lambda t, w, b: F.conv2d(t, w, b, 2, 1), (x, m.weight, m.bias))
    assert st.gradcheck(nn.MaxPool2d(2), x)

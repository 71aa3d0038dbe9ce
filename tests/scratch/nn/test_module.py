"""Module mechanics: registration, naming, modes, state dicts both ways, containers."""

import numpy as np
import pytest
import torch

import shendu.scratch as st
from shendu.scratch import nn

from ..helpers import load_scratch_into_torch, load_torch_into_scratch


def make_block(lib, tensor):
    """The same small model written against torch.nn or scratch.nn."""

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(3, 4)
            self.norm = lib.BatchNorm1d(4)
            self.layers = lib.ModuleList([lib.Linear(4, 4), lib.Linear(4, 2, bias=False)])
            self.scale = lib.Parameter(tensor([1.5]))

        def forward(self, x):
            x = self.norm(self.fc(x))
            for layer in self.layers:
                x = layer(x)
            return x * self.scale

    return Block()


def Block(_lib):  # noqa: N802
    return make_block(nn, st.tensor)


def TorchBlock(_lib):  # noqa: N802
    return make_block(torch.nn, torch.tensor)


def test_parameters_buffers_and_children_are_registered_with_torch_names():
    ours, theirs = Block(nn), TorchBlock(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 8


def test_state_dict_round_trips_through_torch_both_ways():
    ours, theirs = Block(nn), TorchBlock(torch.nn)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    load_torch_into_scratch(theirs, ours)
    np.testing.assert_allclose(ours(st.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    ours2 = Block(nn)
    load_scratch_into_torch(ours2, theirs)
    np.testing.assert_allclose(ours2(st.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    state = ours.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["norm.num_batches_tracked"].dtype == np.int64 and state["norm.num_batches_tracked"].shape == ()


def test_state_dict_is_a_copy():
    m = nn.Linear(2, 2)
    state = m.state_dict()
    state["weight"][...] = 0
    assert not np.allclose(m.weight.data, 0)


def test_load_state_dict_keeps_parameter_objects_and_dtype():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert m.weight is w and w.dtype == np.float32 and np.all(w.data == 1)


def test_load_state_dict_errors_like_torch():
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    bad_shape = {"weight": np.zeros((3, 3), np.float32), "bias": np.zeros(3, np.float32)}
    for module, convert in ((ours, lambda v: v), (theirs, torch.from_numpy)):
        with pytest.raises(RuntimeError, match="size mismatch for weight"):
            module.load_state_dict({k: convert(v) for k, v in bad_shape.items()})
        with pytest.raises(RuntimeError, match='Missing key.*"bias"'):
            module.load_state_dict({"weight": convert(np.zeros((3, 2), np.float32))})
        with pytest.raises(RuntimeError, match='Unexpected key.*"extra"'):
            module.load_state_dict({"weight": convert(np.zeros((3, 2), np.float32)),
                                    "bias": convert(np.zeros(3, np.float32)), "extra": convert(np.zeros(1, np.float32))})
    result = ours.load_state_dict({"weight": np.zeros((3, 2))}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []


def test_train_eval_propagate_and_zero_grad():
    m = Block(nn)
    m.eval()
    assert not m.training and not m.norm.training and not m.layers[1].training
    m.train()
    assert all(mod.training for mod in m.modules())
    m(st.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_assigning_none_and_wrong_types():
    m = nn.Linear(2, 2)
    m.bias = None
    assert "bias" not in m.state_dict()
    with pytest.raises(TypeError):
        m.weight = st.randn(2, 2)  # a plain tensor cannot replace a parameter


def test_parameter_before_init_raises_attribute_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(st.randn(2))

    with pytest.raises(AttributeError):
        Broken()


def test_sequential_and_module_list():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    tseq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    assert list(seq.state_dict()) == list(tseq.state_dict())
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and len(seq[:2]) == 2
    load_torch_into_scratch(tseq, seq)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(seq(st.tensor(x)).detach().numpy(), tseq(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict(a=nn.Linear(1, 1), b=nn.Tanh()))
    assert list(named.state_dict()) == ["a.weight", "a.bias"]
    assert "Linear(in_features=3, out_features=4, bias=True)" in repr(seq)


def test_to_double_converts_in_place():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    params = list(m.parameters())
    m.double()
    assert all(p.dtype == np.float64 for p in m.parameters()) and list(m.parameters())[0] is params[0]
    assert m[1].running_mean.dtype == np.float64 and m[1].num_batches_tracked.dtype == np.int64

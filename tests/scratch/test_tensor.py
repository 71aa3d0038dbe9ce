"""Tensor basics: construction and dtypes, properties, leaving the graph, backward semantics."""

import numpy as np
import pytest
import torch

import shendu.scratch as st

from .helpers import helper_test_op


def test_dtypes_follow_torch_defaults():
    assert st.tensor([1.0, 2.0]).dtype == torch.tensor([1.0, 2.0]).numpy().dtype == np.float32
    assert st.tensor([1, 2]).dtype == np.int64
    assert st.tensor(np.zeros(3)).dtype == np.float64  # numpy arrays keep their dtype
    assert st.tensor([True]).dtype == bool
    assert st.tensor([1.0], dtype=st.float64).dtype == np.float64
    assert st.zeros(2, 3).dtype == st.float32 and st.zeros((2, 3)).shape == (2, 3)


def test_float64_is_preserved_through_ops_and_gradients():
    x = st.randn(3, 4, dtype=st.float64, requires_grad=True)
    w = st.randn(4, 2, dtype=st.float64, requires_grad=True)
    y = ((x @ w).relu().exp() / 2 + 1).log().sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float64


def test_properties_and_conversions():
    x = st.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.device == "cpu"
    assert x.sum().item() == 21.0 and float(x[1, 2]) == 6.0 and x.tolist()[0] == [1.0, 2.0, 3.0]
    assert x.T.shape == (3, 2) and x.double().dtype == np.float64 and x.long().dtype == np.int64
    assert "tensor(" in repr(x)


def test_numpy_requires_detach_like_torch():
    x = st.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    d = x.detach()
    assert not d.requires_grad and d.numpy() is not None
    assert np.shares_memory(d.numpy(), x.data)


def test_item_of_many_elements_raises_runtime_error():
    with pytest.raises(RuntimeError):
        st.randn(3).item()
    with pytest.raises(RuntimeError):
        torch.randn(3).item()


def test_requires_grad_on_integer_tensor_raises_runtime_error():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        st.tensor([1, 2], requires_grad=True)


def test_backward_errors_match_torch():
    with pytest.raises(RuntimeError, match="does not require grad"):
        st.randn(3).sum().backward()
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (st.randn(3, requires_grad=True) * 2).backward()


def test_backward_with_explicit_gradient():
    helper_test_op([(3,)], lambda x: x * x, lambda x: x * x)  # helper uses non-scalar roots too
    x = st.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(st.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_gradients_accumulate_across_backward_calls_like_torch():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_diamond_graph_and_reused_tensor():
    # x feeds two branches that meet again; y is used three times
    def fn(x):
        y = x * 2
        return (y * y + y.exp() - y / 3).sum()

    helper_test_op([(2, 3)], fn, fn)


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = st.tensor([1.0], dtype=st.float64, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**5000], rtol=1e-10)


def test_no_grad_context_and_decorator():
    x = st.randn(2, requires_grad=True)
    with st.no_grad():
        y = x * 2
        with st.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert st.is_grad_enabled()

    @st.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad and st.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = st.tensor([2.0], requires_grad=True)
    y = x * x.detach()  # d/dx = x, not 2x
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_leaf_and_non_leaf():
    x = st.randn(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad is None
    y.sum().backward()
    assert y.grad is None and x.grad is not None  # only leaves keep .grad, as torch


def test_unbroadcast_sums_over_broadcast_dims():
    helper_test_op([(1, 3, 1), (2, 1, 4), (4,)], lambda a, b, c: a * b + c, lambda a, b, c: a * b + c)


def test_hashable_by_identity():
    a, b = st.randn(2), st.randn(2)
    assert len({a, b, a}) == 2


def test_in_place_writes_outside_the_graph():
    x = st.zeros(2, 3)
    x[0, 1] = 5.0
    x[1] = st.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.numpy(), [[0, 5, 0], [1, 2, 3]])
    assert x.fill_(2.0) is x and np.all(x.numpy() == 2) and np.all(x.zero_().numpy() == 0)
    x.copy_(np.ones((2, 3)))
    assert np.all(x.numpy() == 1) and x.dtype == np.float32
    w = st.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.zeros(2, requires_grad=True).fill_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        w.fill_(1.0)
    with st.no_grad():
        w[0] = 3.0
    assert w.data[0] == 3.0


def test_second_backward_through_a_freed_graph_raises_like_torch():
    for lib in (torch, st):
        x = lib.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()
    x = st.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])

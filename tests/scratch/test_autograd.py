"""The backward engine: topological order, in-place accumulation of slice gradients."""

import numpy as np

import shendu.scratch as st
from shendu.scratch.autograd import IndexedGrad, _accumulate, _topological_order


def test_topological_order_puts_inputs_before_outputs():
    x = st.randn(2, requires_grad=True)
    a = x * 2
    b = a + 1
    c = a * b
    order = _topological_order(c)
    position = {id(t): i for i, t in enumerate(order)}
    assert position[id(a)] < position[id(b)] < position[id(c)]
    assert id(x) not in position  # leaves are not nodes


def test_indexed_grads_add_in_place_into_one_buffer():
    grads, owned = {}, set()
    _accumulate(grads, owned, 1, IndexedGrad((3, 2), np.float64, 0, np.ones(2), False))
    buffer = grads[1]
    _accumulate(grads, owned, 1, IndexedGrad((3, 2), np.float64, 2, np.full(2, 5.0), False))
    _accumulate(grads, owned, 1, np.ones((3, 2)))
    assert grads[1] is buffer  # no new full-size arrays after the first
    np.testing.assert_allclose(buffer, [[2, 2], [1, 1], [6, 6]])


def test_repeated_integer_indices_are_summed():
    grads, owned = {}, set()
    _accumulate(grads, owned, 1, IndexedGrad((3,), np.float64, np.array([0, 0, 2]), np.ones(3), True))
    np.testing.assert_allclose(grads[1], [2, 0, 1])


def test_shared_arrays_are_not_modified_in_place():
    shared = np.ones(3)
    grads, owned = {}, set()
    _accumulate(grads, owned, 1, shared)
    _accumulate(grads, owned, 1, np.ones(3))
    _accumulate(grads, owned, 1, np.ones(3))
    np.testing.assert_allclose(shared, 1.0)
    np.testing.assert_allclose(grads[1], 3.0)

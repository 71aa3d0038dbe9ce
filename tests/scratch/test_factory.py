"""Factories and seeding."""

import numpy as np

import shendu.scratch as st


def test_manual_seed_makes_draws_repeatable():
    st.manual_seed(42)
    a = st.randn(3, 4).numpy()
    st.manual_seed(42)
    b = st.randn(3, 4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, st.randn(3, 4).numpy())


def test_shapes_and_dtypes():
    assert st.randn(2, 3).dtype == np.float32 and st.rand((2, 3), dtype=st.float64).dtype == np.float64
    assert st.ones(4).numpy().sum() == 4 and st.full((2, 2), 7.0).numpy()[1, 1] == 7.0
    assert st.arange(5).dtype == np.int64 and st.arange(0.0, 1.0, 0.25).shape == (4,)
    assert st.zeros_like(st.randn(2, dtype=st.float64)).dtype == np.float64
    r = st.randint(0, 3, (100,)).numpy()
    assert r.min() >= 0 and r.max() < 3 and st.eye(3).numpy().trace() == 3


def test_rand_is_uniform_and_randn_is_standard_normal():
    st.manual_seed(0)
    u, n = st.rand(20000).numpy(), st.randn(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03


def test_tensor_copies_but_from_numpy_shares():
    a = np.zeros(3, np.float32)
    t, f = st.tensor(a), st.from_numpy(a)
    a[0] = 1
    assert t.numpy()[0] == 0 and f.numpy()[0] == 1

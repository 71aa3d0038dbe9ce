"""set_num_threads / get_num_threads reach numpy's OpenBLAS and leave results unchanged."""

import numpy as np
import pytest
import torch

import shendu.scratch as st


def test_set_and_get_round_trip_and_results_do_not_change():
    before = st.get_num_threads()
    if before is None:
        pytest.skip("numpy does not use a bundled OpenBLAS here")
    a = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
    expected = a @ a.T
    try:
        st.set_num_threads(1)
        assert st.get_num_threads() == 1
        np.testing.assert_allclose(a @ a.T, expected, rtol=1e-5, atol=1e-4)
    finally:
        st.set_num_threads(before)
    assert st.get_num_threads() == before


def test_non_positive_count_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.set_num_threads(0)
    with pytest.raises(RuntimeError, match="positive"):
        st.set_num_threads(0)

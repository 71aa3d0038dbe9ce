"""Shared pytest setup for the scratch-engine tests: every test starts from seeded RNGs."""

import numpy as np
import pytest
import torch

import shendu.scratch as st


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state in both engines."""
    np.random.seed(0)
    torch.manual_seed(0)
    st.manual_seed(0)

"""erf against math.erf and torch.erf over its whole range."""

import math

import numpy as np
import torch

from shendu.scratch.ops.special import erf


def test_erf_matches_math_erf_to_machine_precision():
    x = np.concatenate([np.linspace(-30, 30, 20001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300]])
    reference = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), reference, rtol=2e-15, atol=1e-300)


def test_erf_matches_torch_in_float32_and_keeps_dtype():
    x = np.linspace(-6, 6, 1001).astype(np.float32)
    out = erf(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, torch.erf(torch.from_numpy(x)).numpy(), atol=3e-7)


def test_erf_handles_inf_and_nan():
    out = erf(np.array([np.inf, -np.inf, np.nan]))
    assert out[0] == 1.0 and out[1] == -1.0 and np.isnan(out[2])

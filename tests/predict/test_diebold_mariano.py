"""The Diebold-Mariano test against a hand computation and a literal re-implementation."""

import math

import numpy as np
import pytest
from scipy import stats

from shendu.predict.diebold_mariano import diebold_mariano, verdict


def test_a_three_point_example_worked_by_hand():
    # d = a^2 - b^2 = [-3, 3, 8], mean 8/3; centred [-17/3, 1/3, 16/3]; gamma_0 = 546/27;
    # DM = (8/3) / sqrt(gamma_0 / 3) = 24 / sqrt(546); HLN with n = 3, h = 1: * sqrt(2/3) -> 24 / sqrt(819).
    # Student's t with 2 degrees of freedom has P(|T| > t) = 1 - t / sqrt(2 + t^2) = 1 - 24 / sqrt(2214).
    result = diebold_mariano(np.array([1.0, -2.0, 3.0]), np.array([2.0, 1.0, 1.0]), horizon=1)
    assert result.statistic == pytest.approx(24 / math.sqrt(819), rel=1e-12)
    assert result.p_value == pytest.approx(1 - 24 / math.sqrt(2214), rel=1e-12)
    assert result.n == 3 and result.mean_difference == pytest.approx(8 / 3)
    assert verdict(result, "A", "B") == "A and B do not differ significantly at 5% (Diebold-Mariano, p = 0.49)"


def _literal(a, b, h):
    """The formulas of Diebold & Mariano (1995) and Harvey, Leybourne & Newbold (1997), written as loops."""
    n = len(a)
    d = [sum(x * x for x in a[t]) / len(a[t]) - sum(y * y for y in b[t]) / len(b[t]) for t in range(n)]
    mean = sum(d) / n
    gamma = [sum((d[t] - mean) * (d[t - k] - mean) for t in range(k, n)) / n for k in range(h)]
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        return math.nan, math.nan
    statistic = mean / math.sqrt(variance / n) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return statistic, 2 * (1 - stats.t.cdf(abs(statistic), n - 1))


@pytest.mark.parametrize("seed", range(6))
def test_generated_multi_step_cases_match_the_literal_formulas(seed):
    rng = np.random.default_rng(seed)
    n, h = int(rng.integers(8, 40)), int(rng.integers(1, 4))
    a = rng.normal(0, 1, (n, h)).cumsum(axis=1)  # errors that grow with the step, like real ones
    b = rng.normal(0.3, 1.2, (n, h)).cumsum(axis=1)
    statistic, p_value = _literal(a.tolist(), b.tolist(), h)
    assert np.isfinite(statistic)  # these draws have V > 0; V <= 0 is the next test's
    result = diebold_mariano(a, b, horizon=h)
    assert result.statistic == pytest.approx(statistic, rel=1e-9)
    assert result.p_value == pytest.approx(p_value, rel=1e-7, abs=1e-12)
    swapped = diebold_mariano(b, a, horizon=h)  # the test is symmetric: the sign flips, p stays
    assert swapped.statistic == pytest.approx(-result.statistic) and swapped.p_value == pytest.approx(result.p_value)


def test_a_negative_long_run_variance_falls_back_to_gamma_0():
    # losses that alternate around their mean: gamma_1 ~ -gamma_0, so gamma_0 + 2 gamma_1 < 0 at h = 2
    n = 10
    d = np.array([0.5 * (-1) ** t + 0.1 for t in range(n)])
    result = diebold_mariano(np.sqrt(1 + d), np.ones(n), horizon=2)
    gamma_0 = float(np.mean((d - d.mean()) ** 2))
    expected = d.mean() / math.sqrt(gamma_0 / n) * math.sqrt((n + 1 - 4 + 2 / n) / n)
    assert result.statistic == pytest.approx(expected, rel=1e-9)


def test_a_clear_winner_is_significant_and_named():
    rng = np.random.default_rng(0)
    truth_noise = rng.normal(0, 1, 200)
    result = diebold_mariano(0.2 * truth_noise, truth_noise)
    assert result.statistic < 0 and result.p_value < 1e-6
    assert verdict(result, "the LSTM", "persistence").startswith(
        "the LSTM and persistence differ significantly at 5% (Diebold-Mariano, p = ")
    assert verdict(result, "the LSTM", "persistence").endswith("the LSTM is more accurate")


def test_equal_losses_and_bad_input():
    same = diebold_mariano(np.array([1.0, -2.0, 0.5]), np.array([-1.0, 2.0, -0.5]))
    assert (same.statistic, same.p_value) == (0.0, 1.0)
    with pytest.raises(ValueError, match="same shape"):
        diebold_mariano(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least 2 forecast origins"):
        diebold_mariano(np.zeros(1), np.ones(1))
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        diebold_mariano(np.zeros(3), np.ones(3), horizon=0)

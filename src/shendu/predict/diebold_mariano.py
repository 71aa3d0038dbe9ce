"""The Diebold-Mariano test: do two forecasters' errors differ by more than chance?

Diebold & Mariano (1995), "Comparing predictive accuracy", with the small-sample correction of
Harvey, Leybourne & Newbold (1997), "Testing the equality of prediction mean squared errors".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DieboldMariano:
    """One test of equal accuracy.

    Attributes:
        statistic: the HLN-corrected statistic; below 0 when the first forecaster's loss is lower.
        p_value: two-sided, from Student's t with ``n - 1`` degrees of freedom.
        n: forecast origins compared; ``horizon``: the steps ahead ``h``.
        mean_difference: mean of ``loss(first) - loss(second)`` per origin.
    """

    statistic: float
    p_value: float
    n: int
    horizon: int
    mean_difference: float

    def significant(self, level: float = 0.05) -> bool:
        return self.p_value < level


def diebold_mariano(errors_a: np.ndarray, errors_b: np.ndarray, horizon: int = 1) -> DieboldMariano:
    """Test that forecasters A and B are equally accurate under squared-error loss.

    With ``d_t = mean_j(a_tj^2) - mean_j(b_tj^2)`` for each origin ``t`` (the mean over the
    ``horizon`` steps forecast from it), ``gamma_k`` the lag-``k`` autocovariance of ``d``
    (divided by ``n``), and ``V = gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k`` (``h``-step forecasts
    from consecutive origins overlap, so their losses are correlated up to lag ``h - 1``)::

        DM   = mean(d) / sqrt(V / n)
        DM*  = DM * sqrt((n + 1 - 2h + h(h - 1) / n) / n)        (Harvey, Leybourne & Newbold)
        p    = 2 * P(T > |DM*|),  T ~ Student's t with n - 1 degrees of freedom

    When ``V <= 0`` (possible for ``h > 1`` on short series) ``gamma_0`` alone is used. When
    every ``d_t`` is equal, the spread is 0: equal losses give ``DM* = 0, p = 1``, a constant
    non-zero difference ``DM* = +-inf, p = 0``.

    Args:
        errors_a, errors_b: forecast minus truth, ``(n,)`` or ``(n, horizon)``, in the same units.
        horizon: ``h``, the steps ahead (>= 1).

    Raises:
        ValueError: shapes differ, fewer than 2 origins, or ``horizon < 1``.
    """
    from scipy import stats

    a, b = np.asarray(errors_a, dtype=np.float64), np.asarray(errors_b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the two forecasters' errors must have the same shape; got {a.shape} and {b.shape}.")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1; got {horizon}.")
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    n = len(a)
    if n < 2:
        raise ValueError(f"the Diebold-Mariano test needs at least 2 forecast origins; got {n}.")
    d = np.mean(a**2, axis=1) - np.mean(b**2, axis=1)
    mean = float(d.mean())
    centred = d - mean
    gamma = [float(centred[k:] @ centred[:n - k]) / n for k in range(min(horizon, n))]
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        variance = gamma[0]
    if variance <= 0:
        statistic = 0.0 if mean == 0 else math.copysign(math.inf, mean)
        return DieboldMariano(statistic, 1.0 if mean == 0 else 0.0, n, horizon, mean)
    correction = math.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 0.0) / n)
    statistic = mean / math.sqrt(variance / n) * correction
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMariano(statistic, p_value, n, horizon, mean)


def verdict(result: DieboldMariano, first: str, second: str, level: float = 0.05) -> str:
    """One sentence: whether ``first`` and ``second`` differ significantly at ``level``, and which is ahead."""
    ahead = first if result.mean_difference < 0 else second
    if result.significant(level):
        return (f"{first} and {second} differ significantly at {level:.0%} (Diebold-Mariano, p = {result.p_value:.3g}): "
                f"{ahead} is more accurate")
    return (f"{first} and {second} do not differ significantly at {level:.0%} (Diebold-Mariano, "
            f"p = {result.p_value:.3g})")

"""Forecast evaluation: the model against last-value persistence and a statsmodels SARIMA,
all on the same test windows, in the series' own units.

Every forecaster sees the same history: for the window with origin ``t`` it may use the values
before ``t`` and must forecast ``values[t:t + horizon]``. SARIMA's parameters are fitted once on
the training and validation parts (the model's own training data plus its early-stopping data,
which the model also saw); at each test origin the fitted model is filtered over the values up
to ``t`` and forecasts ``horizon`` steps, without refitting and without seeing a test target.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from shendu.data.series import SarimaOrder, WindowDataset

log = logging.getLogger(__name__)

MODEL, PERSISTENCE, CLASSICAL = "lstm", "persistence", "sarima"


def errors(forecast: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and MAPE (percent; values of 0 are left out of MAPE) over every step."""
    diff = forecast - truth
    nonzero = truth != 0
    mape = float(np.mean(np.abs(diff[nonzero] / truth[nonzero])) * 100) if nonzero.any() else float("nan")
    return {"rmse": float(np.sqrt(np.mean(diff**2))), "mae": float(np.mean(np.abs(diff))), "mape": mape}


@torch.no_grad()
def model_forecasts(model: nn.Module, dataset: WindowDataset, batch_size: int = 256) -> np.ndarray:
    """The model's forecasts in original units: ``(N, horizon)``."""
    model.eval()
    out = []
    for start in range(0, len(dataset), batch_size):
        x = torch.stack([dataset[i][0] for i in range(start, min(start + batch_size, len(dataset)))])
        out.append(model(x).double().numpy())
    return dataset.scaler.inverse(np.concatenate(out))


def persistence_forecasts(dataset: WindowDataset) -> np.ndarray:
    """Last observed value, repeated over the horizon."""
    last = dataset.series.values[dataset.origins - 1]
    return np.repeat(last[:, None], dataset.horizon, axis=1)


def sarima_forecasts(dataset: WindowDataset, order: SarimaOrder) -> np.ndarray:
    """Fit SARIMA on the values before the test part, then forecast from every test origin."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    values = dataset.series.values
    fit_end = dataset.split.test_start
    with warnings.catch_warnings():  # convergence chatter; the fit is reported, not hidden
        warnings.simplefilter("ignore")
        fitted = SARIMAX(values[:fit_end], order=order.order, seasonal_order=order.seasonal, trend=order.trend,
                         enforce_stationarity=False, enforce_invertibility=False).fit(disp=False, maxiter=200)
        full = fitted.apply(values)  # same parameters, filtered over the whole series
        out = np.empty((len(dataset), dataset.horizon))
        for i, t in enumerate(dataset.origins):
            # dynamic from t: steps t.. use forecasts, not observations, so only values < t are seen
            out[i] = full.get_prediction(start=int(t), end=int(t) + dataset.horizon - 1, dynamic=True).predicted_mean
    return out


def evaluate_forecaster(model: nn.Module, dataset: WindowDataset,
                        progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Test metrics of the model and both baselines, plus the forecasts for the plot.

    ``test_skill`` is the RMSE skill score against persistence, ``1 - rmse / persistence_rmse``:
    above 0 when the model beats the naive forecast.
    """
    order = dataset.baseline
    truth = dataset.targets()
    forecasts = {MODEL: model_forecasts(model, dataset), PERSISTENCE: persistence_forecasts(dataset)}
    try:
        forecasts[CLASSICAL] = sarima_forecasts(dataset, order)
    except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. a series too short for the seasonal order
        log.warning("%s could not be fitted (%s); the report leaves it out", order.describe(), exc)
    if progress is not None:
        progress(len(dataset), len(dataset))
    metrics: dict[str, Any] = {"test_samples": len(dataset), "test_horizon": dataset.horizon}
    for name, forecast in forecasts.items():
        prefix = "test_" if name == MODEL else f"test_{name}_"
        metrics.update({prefix + k: v for k, v in errors(forecast, truth).items()})
        if dataset.horizon > 1:
            metrics[prefix + "rmse_step1"] = errors(forecast[:, :1], truth[:, :1])["rmse"]
    metrics["test_skill"] = 1 - metrics["test_rmse"] / metrics["test_persistence_rmse"]
    metrics["test_sarima_model"] = order.describe()
    metrics.update({"forecasts": forecasts, "truth": truth})
    return metrics


def forecast_table(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's rows: each metric for the model and both baselines, and who wins."""
    names = [(MODEL, "LSTM", "test_"), (PERSISTENCE, "persistence (last value)", "test_persistence_")]
    if "test_sarima_rmse" in metrics:
        names.append((CLASSICAL, metrics["test_sarima_model"], "test_sarima_"))
    rows = []
    for metric, label in (("rmse", "RMSE"), ("mae", "MAE"), ("mape", "MAPE %"), ("rmse_step1", "RMSE of step 1")):
        if f"test_{metric}" in metrics:
            rows.append((f"test {label}", " · ".join(f"{title} {metrics[prefix + metric]:.4g}"
                                                      for _, title, prefix in names)))
    best = min(names, key=lambda n: metrics[n[2] + "rmse"])
    rows.append(("lowest RMSE", best[1]))
    if best[0] != MODEL:
        lstm, other = metrics["test_rmse"], metrics[best[2] + "rmse"]
        rows.append(("where the LSTM loses", f"{best[1]} has {(1 - other / lstm) * 100:.0f}% lower RMSE than the LSTM "
                                             "on this test part"))
    skill = metrics["test_skill"]
    rows.append(("RMSE skill vs persistence", f"{skill:+.3f} (1 - RMSE / RMSE of persistence: the LSTM "
                                              f"{'beats' if skill > 0 else 'does not beat'} persistence)"))
    horizon = metrics["test_horizon"]
    rows.append(("test windows (horizon)", f"{metrics['test_samples']} ({horizon} step{'s' if horizon > 1 else ''})"))
    return rows

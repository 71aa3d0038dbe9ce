"""Forecasting: the next ``horizon`` values of a series; test RMSE, MAE and MAPE of the model
against last-value persistence and the SARIMA baseline on the same test windows, in the series'
own units, a Diebold-Mariano test of the model against persistence, and a forecast plot.

Every forecaster sees the same history: for the window with origin ``t`` it may use the values
before ``t`` and must forecast ``values[t:t + horizon]``. The SARIMA forecasts come with the test
windows (fitted once with the data, kept in the run folder's ``baselines.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from shendu.data.series import Scaler, WindowDataset
from shendu.data.specs import InputSpec, SeriesSpec
from shendu.errors import InputError
from shendu.predict.diebold_mariano import diebold_mariano, verdict
from shendu.predict.kinds.base import Progress, Result, TaskKind
from shendu.terminal import safe_text

if TYPE_CHECKING:
    from shendu.predict.predictor import Predictor

MODEL, PERSISTENCE, CLASSICAL = "lstm", "persistence", "sarima"
FORECAST_PLOT = "forecast.png"


@dataclass
class Forecast(Result):
    """The next ``horizon`` values after one input history (only its last ``history_used`` read)."""

    input: str
    history_used: int
    forecast: list[float]
    horizon: int


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


def same_as_persistence(model: np.ndarray, persistence: np.ndarray) -> bool:
    """True when the model's forecasts are persistence's but for float32 rounding (relative
    1e-6; a float32 round trip through the scaling is ~1e-7): a shrinkage of 0."""
    return bool(np.allclose(model, persistence, rtol=1e-6, atol=0))


def against_persistence(model: np.ndarray, persistence: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """The Diebold-Mariano test of the model against persistence (squared error, the forecasts'
    horizon, HLN-corrected; see :func:`shendu.predict.diebold_mariano.diebold_mariano`) as
    ``test_dm_*`` metrics. Forecasts that are persistence's (:func:`same_as_persistence`) are not
    tested: ``test_dm_identical`` is true, the statistic 0 and p 1."""
    if same_as_persistence(model, persistence):
        return {"test_dm_statistic": 0.0, "test_dm_pvalue": 1.0, "test_dm_identical": True}
    if len(truth) < 2:
        return {}
    result = diebold_mariano(model - truth, persistence - truth, horizon=truth.shape[1])
    statistic = result.statistic if np.isfinite(result.statistic) else None
    return {"test_dm_statistic": statistic, "test_dm_pvalue": result.p_value, "test_dm_identical": False}


def evaluate_forecaster(model: nn.Module, dataset: WindowDataset,
                        progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Test metrics of the model and both baselines, plus the forecasts for the plot.

    ``test_skill`` is the RMSE skill score against persistence, ``1 - rmse / persistence_rmse``:
    above 0 when the model beats the naive forecast. ``test_dm_*``: :func:`against_persistence`;
    ``test_shrinkage``: the model's factor toward persistence, where it has one.
    """
    order = dataset.baseline
    truth = dataset.targets()
    forecasts = {MODEL: model_forecasts(model, dataset), PERSISTENCE: persistence_forecasts(dataset)}
    if same_as_persistence(forecasts[MODEL], forecasts[PERSISTENCE]):  # k = 0: score them as the same forecasts
        forecasts[MODEL] = forecasts[PERSISTENCE].copy()
    if dataset.classical is not None:  # fitted with the data (shendu.data.series.series_bundle), never here
        forecasts[CLASSICAL] = dataset.classical
    if progress is not None:
        progress(len(dataset), len(dataset))
    metrics: dict[str, Any] = {"test_samples": len(dataset), "test_horizon": dataset.horizon}
    for name, forecast in forecasts.items():
        prefix = "test_" if name == MODEL else f"test_{name}_"
        metrics.update({prefix + k: v for k, v in errors(forecast, truth).items()})
        if dataset.horizon > 1:
            metrics[prefix + "rmse_step1"] = errors(forecast[:, :1], truth[:, :1])["rmse"]
    metrics["test_skill"] = 1 - metrics["test_rmse"] / metrics["test_persistence_rmse"]
    metrics.update(against_persistence(forecasts[MODEL], forecasts[PERSISTENCE], truth))
    shrinkage = getattr(model, "shrinkage", None)
    if isinstance(shrinkage, torch.Tensor):
        metrics["test_shrinkage"] = float(shrinkage)
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
    same = bool(metrics.get("test_dm_identical"))
    rows.append(("lowest RMSE", f"LSTM and {names[1][1]}: the same forecasts" if same and best[0] == MODEL else best[1]))
    if best[0] != MODEL:
        lstm, other = metrics["test_rmse"], metrics[best[2] + "rmse"]
        rows.append(("where the LSTM loses", f"{best[1]} has {(1 - other / lstm) * 100:.0f}% lower RMSE than the LSTM "
                                             "on this test part"))
    skill = metrics["test_skill"]
    rows.append(("RMSE skill vs persistence", f"{skill:+.3f} (1 - RMSE / RMSE of persistence: the LSTM "
                                              f"{'beats' if skill > 0 else 'does not beat'} persistence)"))
    rows.extend(persistence_rows(metrics))
    horizon = metrics["test_horizon"]
    rows.append(("test windows (horizon)", f"{metrics['test_samples']} ({horizon} step{'s' if horizon > 1 else ''})"))
    return rows


def persistence_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """The shrinkage factor and the Diebold-Mariano sentence, where the metrics have them."""
    rows = []
    if "test_shrinkage" in metrics:
        rows.append(("shrinkage toward persistence", f"k = {metrics['test_shrinkage']:.3f} (forecast = last value + k x "
                                                     "the network's change: 0 is persistence, 1 the network's own)"))
    if metrics.get("test_dm_identical"):
        rows.append(("Diebold-Mariano vs persistence", "not tested: the LSTM's forecasts are persistence's (k = 0), "
                                                       "so the two cannot differ"))
    elif metrics.get("test_dm_pvalue") is not None:
        from shendu.predict.diebold_mariano import DieboldMariano

        statistic = metrics["test_dm_statistic"]
        difference = metrics["test_rmse"] - metrics["test_persistence_rmse"]  # only its sign is read: who is ahead
        result = DieboldMariano(statistic if statistic is not None else float("nan"), metrics["test_dm_pvalue"],
                                metrics["test_samples"], metrics["test_horizon"], difference)
        shown = "n/a" if statistic is None else f"{statistic:+.3f}"
        rows.append(("Diebold-Mariano vs persistence",
                     f"{verdict(result, 'the LSTM', 'persistence')} (DM* = {shown}: squared error, "
                     f"h = {metrics['test_horizon']}, Harvey-Leybourne-Newbold correction, {metrics['test_samples']} "
                     "windows)"))
    return rows


class TimeSeriesForecasting(TaskKind):
    task = "time-series-forecasting"
    input_kind = "series"
    options = {}
    test_noun = "test windows"

    def model_classes(self, labels: list[str], spec: InputSpec) -> int | None:
        return None  # the label is the series' name

    @torch.no_grad()
    def predict(self, predictor: Predictor, inputs: Sequence[Any]) -> list[Forecast]:
        """Each input is a history, oldest first: ``"v1,v2,..."``, a file with one value per line
        (a CSV's last column; a header row is skipped) or a sequence of numbers.

        Raises:
            InputError: fewer than ``lookback`` numbers, a value that is not a number, or a
                value <= 0 for a model of the logarithm.
        """
        spec: SeriesSpec = predictor.input_spec  # type: ignore[assignment]
        scaler = Scaler(spec.mean, spec.std, spec.log)
        histories = [(_name(item), _read_history(item, spec.lookback)) for item in inputs]
        results = []
        for name, values in histories:
            if scaler.log and min(values) <= 0:
                raise InputError(f"this model forecasts the logarithm of the values, so they must be positive; "
                                 f"{name!r} holds a value <= 0.")
            x = torch.tensor(scaler.transform(np.asarray(values[-spec.lookback:])), dtype=torch.float32)[None, :, None]
            forecast = scaler.inverse(predictor.model(x).double().numpy()[0])
            results.append(Forecast(name, spec.lookback, [round(float(v), 6) for v in forecast], spec.horizon))
        return results

    def render(self, results: Sequence[Any], console: Any) -> None:
        from rich.table import Table

        table = Table()
        for column in ("input", "values read", "forecast"):
            table.add_column(column)
        for item in results:
            table.add_row(safe_text(item.input), str(item.history_used), ", ".join(f"{v:.6g}" for v in item.forecast))
        console.print(table)

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Progress = None) -> dict[str, Any]:
        return evaluate_forecaster(model, dataset, progress=progress)  # type: ignore[arg-type]

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        from shendu.plots import plot_forecast

        plot_forecast(dataset, evaluation["forecasts"], folder / FORECAST_PLOT)
        return [FORECAST_PLOT]

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        return forecast_table(metrics)

    def headline(self, metrics: dict[str, Any]) -> str:
        return (f"test RMSE: [bold]{metrics['test_rmse']:.4g}[/] (persistence {metrics['test_persistence_rmse']:.4g}"
                + (f", {metrics['test_sarima_model']} {metrics['test_sarima_rmse']:.4g}" if "test_sarima_rmse" in metrics else "")
                + f") on {metrics['test_samples']} test windows"
                + (f"; vs persistence: Diebold-Mariano p = {metrics['test_dm_pvalue']:.3g}"
                   if metrics.get("test_dm_pvalue") is not None else ""))


def _name(item: Any) -> str:
    text = str(item) if isinstance(item, str | Path) else ",".join(f"{v:g}" for v in np.asarray(item, dtype=float).ravel())
    return text if len(text) <= 80 else text[:77] + "..."


def _read_history(item: Any, lookback: int) -> list[float]:
    if not isinstance(item, str | Path):
        try:
            values = [float(v) for v in np.asarray(item, dtype=np.float64).reshape(-1)]
        except (TypeError, ValueError):
            raise InputError(f"a history must be numbers, 'v1,v2,...' or a file; got {type(item).__name__}.") from None
        cells = [str(v) for v in values]
        source = f"a sequence of {len(values)} numbers"
    else:
        text, path = str(item), Path(item)
        source = text
        try:
            is_file = "," not in text and path.is_file()
            is_folder = "," not in text and path.is_dir()
        except OSError:  # e.g. a name too long to be a file: read it as values
            is_file = is_folder = False
        if is_folder:
            raise InputError(f"INPUT must be at least {lookback} numbers, oldest first, as 'v1,v2,...' or a file with "
                             f"one value per line; got {path} (a folder; pass a file in it, e.g. {path}/prices.csv).")
        if is_file:
            lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
            cells = [line.split(",")[-1] for line in lines]
            if cells and not _is_number(cells[0]):
                cells = cells[1:]  # header
            source = f"{path} (last column)"
        else:
            cells = text.split(",")
    if not all(_is_number(c) for c in cells) or len(cells) < lookback:
        raise InputError(f"INPUT must be at least {lookback} numbers, oldest first, as 'v1,v2,...' or a file with one "
                         f"value per line; got {source!r} ({len(cells)} values"
                         f"{'' if all(_is_number(c) for c in cells) else ', not all numbers'}).")
    return [float(c) for c in cells]


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


TIME_SERIES_FORECASTING = TimeSeriesForecasting()

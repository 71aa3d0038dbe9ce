"""What the forecasting recipes share (``series-lstm``, ``stock-lstm``): settings and the task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.data.series import SarimaOrder
    from shendu.train.task import TrainingTask


@dataclass
class ForecastConfig(TrainConfig):
    """Settings shared by the forecasting recipes.

    Args:
        data: your own series as a CSV (``None``: the recipe's shipped series).
        date_column, value_column: the CSV's columns holding the dates and the values.
        lookback: past values the model reads.
        horizon: future values it forecasts at once (``--horizon``; 1 = one step ahead).
        val_fraction, test_fraction: the last parts of the series, in time order.
        hidden_size, num_layers, dropout: the LSTM.
        residual: forecast the change from the last value from the window's differences, shrunk
            toward persistence (``shendu.models.series.ChangeForecaster``); ``false``: the documents'
            LSTM on levels.
        shrink: fit the shrinkage factor ``k`` in ``[0, 1]`` (forecast = last + k * change) on the
            validation split after every validation epoch; ``false`` keeps ``k = 1``.
        log: model the logarithm of the values (prices); the metrics stay in the series' units.
        sarima: the classical baseline's ``p,d,q``.
        sarima_seasonal: its seasonal ``P,D,Q,s`` (``none`` for no seasonal part).
        sarima_trend: its trend: ``n`` none, ``c`` constant, ``t`` linear (drift when d = 1).
    """

    epochs: int = 150
    batch_size: int = 32
    lr: float = 3e-3
    scheduler: str = "cosine"
    restore_best: bool = True
    gradient_clip_val: float = 1.0
    data: str | None = None
    date_column: str = "date"
    value_column: str = "value"
    lookback: int = 24
    horizon: int = 1
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    residual: bool = True
    shrink: bool = True
    log: bool = False
    sarima: str = "1,1,1"
    sarima_seasonal: str = "none"
    sarima_trend: str = "n"

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "lookback", "horizon", "hidden_size", "num_layers")
        if self.residual and self.lookback < 2:
            raise ValueError(f"--set lookback= must be at least 2 with residual=true (the model reads the window's "
                             f"differences); got {self.lookback}.")
        self.require_in(0, 0.5, "val_fraction", "test_fraction", include_low=False)
        self.require_in(0, 1, "dropout")
        self.sarima_order()

    def sarima_order(self) -> SarimaOrder:
        from shendu.data.series import SarimaOrder

        def ints(text: str, n: int, key: str, example: str) -> tuple[int, ...]:
            try:
                values = tuple(int(v) for v in text.split(","))
            except ValueError:
                values = ()
            if len(values) != n or min(values) < 0:
                raise ValueError(f"--set {key}= must be {n} whole numbers >= 0 like {example}; got {text!r}.")
            return values

        sarima, sarima_seasonal, sarima_trend = self.classical_settings()
        order = ints(sarima, 3, "sarima", "1,1,1")
        seasonal = (0, 0, 0, 0) if sarima_seasonal.lower() == "none" else ints(
            sarima_seasonal, 4, "sarima_seasonal", "0,1,1,12 (or none)")
        if sarima_trend not in ("n", "c", "t", "ct"):
            raise ValueError(f"--set sarima_trend= must be n, c, t or ct; got {sarima_trend!r}.")
        return SarimaOrder(order, seasonal, sarima_trend)  # type: ignore[arg-type]

    def classical_settings(self) -> tuple[str, str, str]:
        """``sarima``, ``sarima_seasonal``, ``sarima_trend`` (a recipe may resolve ``auto`` here)."""
        return self.sarima, self.sarima_seasonal, self.sarima_trend


def model_kwargs(config: ForecastConfig, change_scale: float = 1.0) -> dict[str, Any]:
    """:func:`shendu.models.series.series_forecaster`'s kwargs; ``change_scale`` comes from the data
    (:func:`shendu.data.series.typical_change`)."""
    return {"input_size": 1, "hidden_size": config.hidden_size, "num_layers": config.num_layers,
            "horizon": config.horizon, "dropout": config.dropout, "residual": config.residual,
            "change_scale": change_scale}


def series_source(config: ForecastConfig, shipped: dict[str, str]) -> dict[str, str]:
    """What :func:`shendu.data.series.load_series` reads: ``--data`` or the recipe's ``shipped`` series."""
    if config.data is None:
        return shipped
    return {"csv": str(Path(config.data).resolve()), "date_column": config.date_column,
            "value_column": config.value_column}


def forecast_metrics(num_outputs: int) -> Any:
    """RMSE in scaled units, for training curves (the report's metrics are in the series' units)."""
    from torchmetrics import MeanSquaredError, MetricCollection

    return MetricCollection({"rmse": MeanSquaredError(squared=False)})


def model_notes(config: ForecastConfig) -> list[str]:
    """What the report says the network forecasts and how it is kept near persistence."""
    if not config.residual:
        return [f"The LSTM forecasts the level of the next {config.horizon} value(s) from the last {config.lookback} "
                "(residual=false: the documents' model)."]
    shrink = ("After every validation epoch the factor k in [0, 1] that minimises the validation split's squared "
              "error of last + k * change is fitted and saved with the weights; the test forecasts use the saved "
              "epoch's k" if config.shrink else "No shrinkage (shrink=false): k = 1")
    decay = f" Weight decay {config.weight_decay:g} pulls the head back toward zero." if config.weight_decay else ""
    return [f"The LSTM reads the {config.lookback - 1} one-step differences of the last {config.lookback} values and "
            f"forecasts the change from the last value to each of the next {config.horizon}: its head starts at zero, "
            f"so an untrained model is persistence.{decay} {shrink} (forecast = last + k * change, so k = 0 is "
            "persistence)."]


def make_forecast_task(recipe: Recipe, config: ForecastConfig, source: dict[str, str], target: Target | None,
                       title: str, notes: list[str]) -> TrainingTask:
    """Windows, scaling fitted on the training part, the LSTM and both baselines; ``title`` may
    name ``{series}``."""
    from torch import nn

    from shendu.data.series import series_bundle, typical_change
    from shendu.models.series import series_forecaster
    from shendu.train.task import TrainingTask

    config.validate()
    order = config.sarima_order()
    data = series_bundle(source, config.lookback, config.horizon, order, config.val_fraction, config.test_fraction,
                         config.log)
    series, split, scaler = data.extra.pop("series"), data.extra.pop("split"), data.extra.pop("scaler")
    dates = series.dates

    def when(i: int) -> str:
        return str(dates[min(i, len(dates) - 1)])[:10]

    data.extra.update({"val_start": when(split.val_start), "test_start": when(split.test_start)})
    notes = [*notes,
             f"Chronological split of {split.n} values: train {when(0)} to {when(split.val_start - 1)}, validation "
             f"from {when(split.val_start)}, test from {when(split.test_start)} to {when(split.n - 1)}. A window "
             "belongs to the part its first target lies in; training windows' targets all lie in the training part.",
             f"Scaling: mean {scaler.mean:.4g} and std {scaler.std:.4g} of the training part's "
             f"{'log-' if scaler.log else ''}values only (no leakage).",
             "Baselines on the same test windows, in the same run: persistence (the last observed value) and "
             f"{order.describe()} from statsmodels, fitted on the training and validation parts and then "
             "filtered, without refitting, over the values before each test origin (its forecasts are kept in "
             "baselines.json).",
             *model_notes(config)]
    scale = typical_change(series.values[:split.val_start], scaler)
    return TrainingTask(
        recipe=recipe.name, title=title.format(series=series.name), factory=series_forecaster,
        model_kwargs=model_kwargs(config, scale), data=data, config=config, recipe_config=recipe_config_json(recipe, config),
        target=target if config.data is None else None, notes=notes,
        loss_fn=nn.MSELoss(), metrics=forecast_metrics, kind="forecast",
    )

"""series-lstm: forecast a shipped time series (Mauna Loa CO2, sunspots) or your CSV with an LSTM
over look-back windows, against persistence and a seasonal ARIMA in the same run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shendu.recipes.base import Recipe
from shendu.recipes.forecast import (
    ForecastConfig,
    make_forecast_task,
    model_kwargs,
    series_source,
)
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_skill", 0.0)  # RMSE below persistence's

# the classical baseline per shipped series: the airline-style model for monthly CO2, an AR(3)
# for the ~11-year sunspot cycle (statsmodels' own sunspots example)
CLASSICAL = {"co2": ("1,1,1", "0,1,1,12", "n"), "sunspots": ("3,0,0", "none", "c")}


@dataclass
class SeriesLstmConfig(ForecastConfig):
    """series-lstm settings (see ForecastConfig).

    Args:
        series: the shipped series: ``co2`` (Mauna Loa, monthly) or ``sunspots`` (yearly).
        sarima, sarima_seasonal, sarima_trend: the classical baseline's settings (see
            ForecastConfig); ``auto`` takes the shipped series' classical model.
    """

    series: str = "co2"
    lookback: int = 24
    sarima: str = "auto"
    sarima_seasonal: str = "auto"
    sarima_trend: str = "auto"

    def classical_settings(self) -> tuple[str, str, str]:
        defaults = CLASSICAL.get(self.series, ("1,1,1", "none", "n")) if self.data is None else ("1,1,1", "none", "n")
        chosen = (self.sarima, self.sarima_seasonal, self.sarima_trend)
        return tuple(d if c == "auto" else c for c, d in zip(chosen, defaults, strict=True))  # type: ignore[return-value]

    def validate(self) -> None:
        from shendu.data.series import SERIES

        if self.data is None and self.series not in SERIES:
            raise ValueError(f"--set series= must be one of {', '.join(SERIES)}; got {self.series!r} "
                             "(or pass --data file.csv --date-column --value-column).")
        super().validate()


def make_task(config: SeriesLstmConfig) -> TrainingTask:
    config.validate()
    return make_forecast_task(RECIPE, config, series_source(config, {"shipped": config.series}), TARGET,
                              "Forecasting {series} with an LSTM",
                              ["The documents' stock LSTM (stacked LSTM, last hidden state, linear head) applied "
                               "to a general series."])


RECIPE = Recipe(
    name="series-lstm",
    summary="Time-series forecasting: LSTM over look-back windows vs persistence and SARIMA",
    data="statsmodels' Mauna Loa CO2 (monthly) or sunspots (yearly); or --data CSV",
    config_cls=SeriesLstmConfig,
    factory="shendu.models.series:series_forecaster",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=50_497,
)

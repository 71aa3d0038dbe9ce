"""Time series for forecasting: shipped series, user CSVs, chronological splits and look-back windows.

The source documents' stock dataset cannot run as written (it mixes up windows and rows).
Here a window is defined once, by its *origin* ``t``: the model reads ``values[t - lookback:t]``
and forecasts ``values[t:t + horizon]``. A split owns the windows whose *targets* fall in it,
so no test value is ever a training target; the inputs of the first test windows reach back into
validation data, exactly as a forecaster deployed at that date would see them. Scaling is fitted
on the training part only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from shendu.data.base import DataBundle, TestSource
from shendu.data.specs import SeriesSpec
from shendu.errors import DataError, RunFolderError
from shendu.runfolder import MAX_JSON_BYTES

logger = logging.getLogger(__name__)

SERIES = ("co2", "sunspots")
STOCK_SYMBOLS = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")


@dataclass
class Series:
    """One univariate series: ``values`` (float64) at ``dates`` (``numpy.datetime64``), a name,
    the unit, where it came from and its seasonal period (12 for monthly data, ``None`` if none)."""

    values: np.ndarray
    dates: np.ndarray
    name: str
    unit: str
    source: str
    period: int | None = None

    def __post_init__(self) -> None:
        if len(self.values) != len(self.dates):
            raise DataError(f"{self.name}: {len(self.values)} values but {len(self.dates)} dates.")
        if not np.all(np.isfinite(self.values)):
            bad = int(np.flatnonzero(~np.isfinite(self.values))[0])
            raise DataError(f"{self.name}: value {bad} ({self.dates[bad]}) is not a number; fill or drop it.")


def load_shipped_series(name: str) -> Series:
    """``co2``: Mauna Loa CO2 (statsmodels, weekly 1958-2001) as monthly means, gaps
    interpolated; ``sunspots``: yearly sunspot numbers 1700-2008 (statsmodels)."""
    import pandas as pd
    import statsmodels.api as sm

    if name == "co2":
        weekly = sm.datasets.co2.load_pandas().data["co2"]
        monthly = weekly.resample("MS").mean().interpolate()
        return Series(monthly.to_numpy(np.float64), monthly.index.to_numpy(), "co2", "ppm",
                      f"statsmodels co2: Mauna Loa CO2, {len(weekly):,} weekly readings as {len(monthly)} monthly "
                      "means (gaps interpolated)", period=12)
    if name == "sunspots":
        frame = sm.datasets.sunspots.load_pandas().data
        dates = pd.to_datetime(frame["YEAR"].astype(int).astype(str), format="%Y").to_numpy()
        return Series(frame["SUNACTIVITY"].to_numpy(np.float64), dates, "sunspots", "sunspot number",
                      f"statsmodels sunspots: {len(frame)} yearly sunspot numbers 1700-2008", period=None)
    raise DataError(f"--set series= must be one of {', '.join(SERIES)}; got {name!r} (or pass --data file.csv).")


def load_stock(symbol: str) -> Series:
    """Monthly closing prices 2000-2010 of one of 5 stocks, shipped by ``vega_datasets``."""
    from vega_datasets import local_data

    frame = local_data.stocks()
    symbol = symbol.upper()
    if symbol not in STOCK_SYMBOLS:
        raise DataError(f"--symbol must be one of {', '.join(STOCK_SYMBOLS)} (the stocks vega_datasets ships); "
                        f"got {symbol!r}. For other prices pass --data file.csv --date-column --value-column.")
    rows = frame[frame["symbol"] == symbol].sort_values("date")
    return Series(rows["price"].to_numpy(np.float64), rows["date"].to_numpy(), symbol, "USD",
                  f"vega_datasets stocks: {len(rows)} monthly {symbol} prices "
                  f"{str(rows['date'].iloc[0])[:7]} to {str(rows['date'].iloc[-1])[:7]}", period=12)


def load_series_csv(path: Path | str, date_column: str = "date", value_column: str = "value",
                    period: int | None = None) -> Series:
    """A CSV with a date column and a numeric value column (rows in any order; sorted by date)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"--data {path}: no such file; pass a CSV with columns {date_column},{value_column}.")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"--data {path} is not a readable CSV ({str(exc).splitlines()[0][:160]}); expected "
                        f"a header row with {date_column},{value_column}.") from None
    missing = [c for c in (date_column, value_column) if c not in frame.columns]
    if missing:
        raise DataError(f"--data {path} has columns {', '.join(map(str, frame.columns))} but not "
                        f"{', '.join(missing)}; name them with --date-column and --value-column.")
    dates = pd.to_datetime(frame[date_column], errors="coerce")
    values = pd.to_numeric(frame[value_column], errors="coerce")
    for what, column, bad in (("date", date_column, dates.isna()), ("number", value_column, values.isna())):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            cell = frame[column].iloc[row]
            found = f"an empty cell in {column}" if pd.isna(cell) else f"{column}={cell!r}"
            raise DataError(f"--data {path}: row {row + 2} has {found}, not a {what}; fill it "
                            "(e.g. with the previous value) or drop that row.")
    order = np.argsort(dates.to_numpy(), kind="stable")
    dates, values = dates.to_numpy()[order], values.to_numpy(np.float64)[order]
    if len(np.unique(dates)) != len(dates):
        raise DataError(f"--data {path}: some dates appear twice in {date_column}; one value per date is expected.")
    source = f"CSV {path.resolve()} ({len(values)} rows)"
    gaps = date_gaps(dates)
    if len(gaps):
        first = str(dates[gaps[0]])[:10]
        note = (f"{len(gaps)} gap(s) longer than 1.5x the usual spacing between dates (the first after {first}); "
                "the rows are read as consecutive steps")
        logger.warning("--data %s: %s. Fill the missing dates first if the steps must be equal.", path, note)
        source += f"; {note}"
    return Series(values, dates, value_column, "", source, period=period)


def date_gaps(dates: np.ndarray) -> np.ndarray:
    """Indices ``i`` where the step from ``dates[i]`` to ``dates[i + 1]`` is over 1.5x the median
    step: missing months in a monthly series. A business-day series' weekends (3 days against a
    median of 1) count too, unless most steps are that irregular; none for under 3 dates."""
    if len(dates) < 3:
        return np.zeros(0, dtype=np.int64)
    steps = np.diff(dates.astype("datetime64[s]").astype(np.int64))
    long = steps > 1.5 * np.median(steps)
    return np.flatnonzero(long) if long.mean() < 0.1 else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class SarimaOrder:
    """``order`` (p, d, q), ``seasonal`` (P, D, Q, s) with s = 0 for none, and ``trend``."""

    order: tuple[int, int, int]
    seasonal: tuple[int, int, int, int] = (0, 0, 0, 0)
    trend: str = "n"

    def describe(self) -> str:
        text = f"SARIMA{self.order}"
        if self.seasonal[3]:
            text += f"{self.seasonal[:3]}[{self.seasonal[3]}]"
        return text + ("" if self.trend == "n" else f" trend={self.trend}")


@dataclass
class SeriesSplit:
    """Chronological split points: train ``[0, val_start)``, val ``[val_start, test_start)``,
    test ``[test_start, n)`` (indices of target values)."""

    val_start: int
    test_start: int
    n: int


def chronological_split(n: int, val_fraction: float, test_fraction: float, lookback: int, horizon: int) -> SeriesSplit:
    """Split ``n`` time steps in order; each part must hold at least one full window's targets."""
    test = max(horizon, round(n * test_fraction))
    val = max(horizon, round(n * val_fraction))
    train = n - test - val
    if train < lookback + horizon:
        raise DataError(f"a series of {n} values is too short for look-back {lookback} and horizon {horizon} with "
                        f"{val} validation and {test} test values (the training part keeps {train}, needs "
                        f"{lookback + horizon}); pass a longer series or a shorter --set lookback=.")
    return SeriesSplit(train, train + val, n)


@dataclass(frozen=True)
class Scaler:
    """Standardisation fitted on the training part: ``(x - mean) / std``, of ``log(x)`` when
    ``log`` (prices: equal percentage moves look equal at any price level)."""

    mean: float
    std: float
    log: bool = False

    @classmethod
    def fit(cls, values: np.ndarray, log: bool = False) -> Scaler:
        if log and np.any(values <= 0):
            raise DataError("log scaling needs positive values; this series has values <= 0 (--set log=false).")
        values = np.log(values) if log else values
        std = float(np.std(values))
        return cls(float(np.mean(values)), std if std > 0 else 1.0, log)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((np.log(x) if self.log else x) - self.mean) / self.std

    def inverse(self, x: np.ndarray) -> np.ndarray:
        x = x * self.std + self.mean
        return np.exp(x) if self.log else x


def typical_change(values: np.ndarray, scaler: Scaler) -> float:
    """The root mean square of the one-step changes of ``values`` in ``scaler``'s units (1.0 for a
    constant series): the unit a change forecaster reads and forecasts in, from the training part only."""
    changes = np.diff(scaler.transform(np.asarray(values, dtype=np.float64)))
    rms = float(np.sqrt(np.mean(changes**2))) if len(changes) else 0.0
    return rms if rms > 0 else 1.0


class WindowDataset(Dataset):
    """Look-back windows of one part of a series.

    Item ``i``: ``x`` = scaled ``values[t - lookback:t]`` as ``(lookback, 1)``, ``y`` = scaled
    ``values[t:t + horizon]`` as ``(horizon,)``, for origin ``t = origins[i]``. The dataset keeps
    the whole series, the split, the scaler and the SARIMA order of the classical baseline:
    evaluation needs them for the baselines, which see the same history as the model.
    """

    def __init__(self, series: Series, split: SeriesSplit, scaler: Scaler, origins: np.ndarray,
                 lookback: int, horizon: int, baseline: SarimaOrder) -> None:
        self.series, self.split, self.scaler, self.baseline = series, split, scaler, baseline
        self.origins = np.asarray(origins, dtype=np.int64)
        self.lookback, self.horizon = lookback, horizon
        self.scaled = torch.as_tensor(scaler.transform(series.values), dtype=torch.float32)
        self.classical: np.ndarray | None = None  # the baseline's forecasts (N, horizon), see sarima_forecasts

    def __len__(self) -> int:
        return len(self.origins)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        t = int(self.origins[index])
        return self.scaled[t - self.lookback:t, None], self.scaled[t:t + self.horizon]

    def targets(self) -> np.ndarray:
        """The true values (original units) the windows forecast: ``(N, horizon)``."""
        return np.stack([self.series.values[t:t + self.horizon] for t in self.origins])


def window_datasets(series: Series, lookback: int, horizon: int, baseline: SarimaOrder,
                    val_fraction: float = 0.15, test_fraction: float = 0.15, log: bool = False) -> tuple[dict[str, WindowDataset], SeriesSplit, Scaler]:
    """Train/val/test windows: a window belongs to the part its first target lies in, and a
    training window's targets all lie in the training part."""
    if lookback < 1 or horizon < 1:
        raise DataError(f"lookback and horizon must be at least 1; got {lookback} and {horizon}.")
    split = chronological_split(len(series.values), val_fraction, test_fraction, lookback, horizon)
    scaler = Scaler.fit(series.values[:split.val_start], log=log)
    ranges = {"train": (lookback, split.val_start - horizon + 1),
              "val": (split.val_start, split.test_start - horizon + 1),
              "test": (split.test_start, split.n - horizon + 1)}
    datasets = {name: WindowDataset(series, split, scaler, np.arange(start, stop), lookback, horizon,
                                  baseline)
                for name, (start, stop) in ranges.items()}
    return datasets, split, scaler


def series_checksum(series: Series) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(series.values).tobytes())
    digest.update(np.ascontiguousarray(series.dates.astype("datetime64[D]").astype(np.int64)).tobytes())
    return digest.hexdigest()


def series_spec(series: Series, scaler: Scaler, lookback: int, horizon: int) -> SeriesSpec:
    """model.json's ``input``: how predict turns the last ``lookback`` values into a forecast."""
    return SeriesSpec(name=series.name, unit=series.unit, lookback=lookback, horizon=horizon, mean=scaler.mean,
                      std=scaler.std, log=scaler.log)


def load_series(source: dict[str, Any]) -> Series:
    """``{"shipped": "co2"}``, ``{"stock": "MSFT"}`` or ``{"csv": path, "date_column": ..., "value_column": ...}``."""
    if "csv" in source:
        return load_series_csv(source["csv"], source.get("date_column", "date"), source.get("value_column", "value"))
    if "stock" in source:
        return load_stock(source["stock"])
    return load_shipped_series(source["shipped"])


def sarima_forecasts(dataset: WindowDataset, order: SarimaOrder) -> np.ndarray:
    """The classical baseline: SARIMA fitted once on the values before the test part (training and
    validation), then filtered without refitting over the values before each test origin, from
    which it forecasts ``horizon`` steps: no test target is ever an input."""
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


BASELINES_FILE = "baselines.json"


def series_bundle(source: dict[str, Any], lookback: int, horizon: int, baseline: SarimaOrder,
                  val_fraction: float = 0.15, test_fraction: float = 0.15, log: bool = False) -> DataBundle:
    """Train/val/test windows of a series (:func:`load_series`), scaled with the training part's
    statistics; the test windows carry the SARIMA baseline's forecasts, which the run folder keeps
    as ``baselines.json`` so evaluate never refits it. ``extra`` holds the split and the scaler."""
    series = load_series(source)
    datasets, split, scaler = window_datasets(series, lookback, horizon, baseline, val_fraction, test_fraction, log)
    test = datasets["test"]
    try:
        test.classical = sarima_forecasts(test, baseline)
    except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. a series too short for the seasonal order
        logger.warning("%s could not be fitted (%s); the report leaves it out", baseline.describe(), exc)
    arguments = {"source": source, "lookback": lookback, "horizon": horizon, "baseline": asdict(baseline),
                 "val_fraction": val_fraction, "test_fraction": test_fraction}
    baselines = {"model": baseline.describe(),
                 "forecasts": None if test.classical is None else test.classical.tolist()}
    return DataBundle(**datasets, labels=[series.name], source=series.source, checksum=series_checksum(series),
                      input_spec=series_spec(series, scaler, lookback, horizon),
                      extra={"series": series, "split": split, "scaler": scaler},
                      files={BASELINES_FILE: json.dumps(baselines) + "\n"},
                      test_source=TestSource("shendu.data.series:series_test", arguments))


def series_test(spec: SeriesSpec, run_dir: Path, source: dict[str, Any], lookback: int, horizon: int,
                baseline: dict[str, Any], val_fraction: float, test_fraction: float) -> WindowDataset:
    """The test windows of :func:`series_bundle`, scaled with the run's saved scaler, with the
    baseline forecasts saved at training (none are fitted here)."""
    series = load_series(source)
    split = chronological_split(len(series.values), val_fraction, test_fraction, lookback, horizon)
    order = SarimaOrder(tuple(baseline["order"]), tuple(baseline["seasonal"]), baseline["trend"])  # type: ignore[arg-type]
    test = WindowDataset(series, split, Scaler(spec.mean, spec.std, spec.log), np.arange(split.test_start, split.n - horizon + 1),
                         lookback, horizon, order)
    saved = Path(run_dir) / BASELINES_FILE
    if saved.is_file():
        forecasts = _saved_forecasts(saved)
        if forecasts is not None and forecasts.shape == (len(test), horizon):
            test.classical = forecasts
        elif forecasts is not None:
            logger.warning("%s holds %s baseline forecasts, but the test part has %d windows of %d steps; the data "
                           "changed since training, so the baseline is left out", saved, forecasts.shape,
                           len(test), horizon)
    return test


def _saved_forecasts(saved: Path) -> np.ndarray | None:
    """The baseline forecasts training saved (``{"forecasts": [[...], ...]}``), as float64."""
    fix = "Restore it from a backup or train again."
    if saved.stat().st_size > MAX_JSON_BYTES:
        raise RunFolderError(f"{saved} is over {MAX_JSON_BYTES:,} bytes, far more than baseline forecasts take. {fix}")
    try:
        document = json.loads(saved.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise TypeError(f"a JSON {type(document).__name__}, not an object")
        forecasts = document.get("forecasts")
        return None if forecasts is None else np.asarray(forecasts, dtype=np.float64)
    except (ValueError, TypeError, RecursionError) as exc:  # not JSON, not numbers, ragged lists
        raise RunFolderError(f"{saved} must hold the baseline forecasts `shendu train` wrote ({{\"forecasts\": "
                             f"[[...], ...]}}); it could not be read ({type(exc).__name__}: {str(exc)[:120]}). {fix}") from None

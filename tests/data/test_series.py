"""Time series: shipped data, CSV reading, chronological windows without leakage, baselines."""

import numpy as np
import pytest
import torch

from shendu.data.series import (
    SarimaOrder,
    Scaler,
    Series,
    date_gaps,
    load_series_csv,
    load_shipped_series,
    load_stock,
    sarima_forecasts,
    window_datasets,
)
from shendu.errors import DataError
from shendu.models.series import lstm_forecaster
from shendu.predict.kinds.forecast import errors, persistence_forecasts

NO_SEASON = SarimaOrder((1, 1, 0))


def _series(values, period=None):
    values = np.asarray(values, dtype=np.float64)
    dates = np.datetime64("2000-01-01") + np.arange(len(values)).astype("timedelta64[D]")
    return Series(values, dates, "toy", "", "test", period)


def test_shipped_series_have_their_documented_sizes():
    co2 = load_shipped_series("co2")
    assert len(co2.values) == 526 and co2.period == 12 and 310 < co2.values.min() < co2.values.max() < 380
    assert len(load_shipped_series("sunspots").values) == 309
    msft = load_stock("msft")
    assert len(msft.values) == 123 and str(msft.dates[0])[:7] == "2000-01" and msft.values[0] == pytest.approx(39.81)
    with pytest.raises(DataError, match="--symbol must be one of AAPL, AMZN, GOOG, IBM, MSFT"):
        load_stock("TSLA")


def test_windows_are_chronological_and_scaled_on_train_only():
    values = np.arange(100, dtype=np.float64) ** 1.5
    datasets, split, scaler = window_datasets(_series(values), lookback=5, horizon=3, baseline=NO_SEASON,
                                              val_fraction=0.2, test_fraction=0.2)
    assert (split.val_start, split.test_start, split.n) == (60, 80, 100)
    assert scaler.mean == pytest.approx(values[:60].mean()) and scaler.std == pytest.approx(values[:60].std())
    train, val, test = datasets["train"], datasets["val"], datasets["test"]
    # every training target lies in the training part; val/test windows start in their part
    assert train.origins.min() == 5 and train.origins.max() + 3 <= 60
    assert val.origins.min() == 60 and val.origins.max() + 3 <= 80
    assert test.origins.min() == 80 and test.origins.max() + 3 == 100
    x, y = test[0]
    assert x.shape == (5, 1) and y.shape == (3,)
    np.testing.assert_allclose(scaler.inverse(x[:, 0].double().numpy()), values[75:80], rtol=1e-5)
    np.testing.assert_allclose(test.targets()[0], values[80:83])


def test_log_scaler_round_trips_and_refuses_non_positive_values():
    scaler = Scaler.fit(np.array([1.0, 10.0, 100.0]), log=True)
    np.testing.assert_allclose(scaler.inverse(scaler.transform(np.array([5.0, 50.0]))), [5.0, 50.0])
    with pytest.raises(DataError, match="log scaling needs positive values"):
        Scaler.fit(np.array([1.0, -1.0]), log=True)


def test_too_short_a_series_is_a_clear_error():
    with pytest.raises(DataError, match="too short for look-back 24"):
        window_datasets(_series(np.arange(30.0)), lookback=24, horizon=1, baseline=NO_SEASON)


def test_csv_reader(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("when,close\n2020-03-01,3\n2020-01-01,1\n2020-02-01,2\n")
    series = load_series_csv(path, "when", "close")
    np.testing.assert_array_equal(series.values, [1, 2, 3])  # sorted by date
    with pytest.raises(DataError, match="has columns when, close but not date, value; name them with --date-column"):
        load_series_csv(path)
    path.write_text("date,value\n2020-01-01,1\n2020-02-01,abc\n")
    with pytest.raises(DataError, match="row 3 has value='abc', not a number"):
        load_series_csv(path)
    path.write_text("date,value\n2020-01-01,1\n2020-02-01,\n2020-03-01,3\n")
    with pytest.raises(DataError, match="row 3 has an empty cell in value, not a number; fill it"):
        load_series_csv(path)
    path.write_text("date,value\n2020-01-01,1\n2020-01-01,2\n")
    with pytest.raises(DataError, match="some dates appear twice"):
        load_series_csv(path)
    with pytest.raises(DataError, match="no such file"):
        load_series_csv(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01" * 50)
    with pytest.raises(DataError):
        load_series_csv(tmp_path / "bin.csv")


def test_missing_dates_are_read_as_consecutive_steps_and_reported(tmp_path, caplog):
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}-01" for i in range(36) if i not in (13, 14, 30)]
    path = tmp_path / "gappy.csv"
    path.write_text("date,value\n" + "".join(f"{m},{i}\n" for i, m in enumerate(months)))
    with caplog.at_level("WARNING"):
        series = load_series_csv(path)
    assert len(series.values) == 33 and "2 gap(s)" in series.source and "first after 2001-01-01" in series.source
    assert "Fill the missing dates" in caplog.text
    assert len(date_gaps(np.array(months[:12], dtype="datetime64[D]"))) == 0  # 28-31 day months are no gap
    business_days = np.array([d for d in np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
                              if np.is_busday(d)])
    assert len(date_gaps(business_days)) == 0  # weekends are the spacing, not gaps


def test_errors_match_hand_computed_values():
    result = errors(np.array([[2.0], [4.0]]), np.array([[1.0], [5.0]]))
    assert result["rmse"] == pytest.approx(1.0) and result["mae"] == pytest.approx(1.0)
    assert result["mape"] == pytest.approx((1 / 1 + 1 / 5) / 2 * 100)


def test_persistence_and_sarima_only_see_the_past():
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(0.5, 1.0, 120)) + 50
    datasets, _, _ = window_datasets(_series(values), lookback=6, horizon=2, baseline=NO_SEASON)
    test = datasets["test"]
    np.testing.assert_allclose(persistence_forecasts(test)[:, 0], values[test.origins - 1])
    before = sarima_forecasts(test, NO_SEASON)
    # change everything from the 5th test origin on: forecasts made from the earlier origins cannot move
    changed = values.copy()
    cut = int(test.origins[4])
    changed[cut:] += 1000
    changed_sets, _, _ = window_datasets(_series(changed), lookback=6, horizon=2, baseline=NO_SEASON)
    after = sarima_forecasts(changed_sets["test"], NO_SEASON)
    np.testing.assert_allclose(after[:3], before[:3])  # origins 0-2 forecast steps < cut only
    assert not np.allclose(after[5:], before[5:])


def test_residual_forecaster_starts_from_persistence():
    model = lstm_forecaster(hidden_size=8, num_layers=1, horizon=3)
    torch.nn.init.zeros_(model.fc.weight)
    torch.nn.init.zeros_(model.fc.bias)
    x = torch.randn(4, 10, 1)
    np.testing.assert_allclose(model(x).detach().numpy(), x[:, -1, :].repeat(1, 3).numpy(), rtol=0, atol=0)
    # a shifted window gives a shifted forecast: the network reads the window relative to its last value
    trained = lstm_forecaster(hidden_size=8, num_layers=1, horizon=3)
    assert not torch.allclose(trained(x), x[:, -1, :].repeat(1, 3))
    np.testing.assert_allclose((trained(x + 5) - trained(x)).detach().numpy(), 5.0, atol=1e-5)

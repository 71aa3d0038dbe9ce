"""The shrinkage toward persistence: the factor, and the run folder that carries it to predict."""

import json

import numpy as np
import pytest
import torch

from shendu.train.forecast import shrinkage_factor
from tests.conftest import run_cli


@pytest.mark.parametrize("seed", range(8))
def test_the_factor_is_the_best_k_in_the_unit_interval(seed):
    rng = np.random.default_rng(seed)
    change = rng.normal(0, 1, (20, 2))
    actual = rng.uniform(-1.5, 1.5) * change + rng.normal(0, rng.uniform(0.1, 2), (20, 2))
    grid = np.linspace(0, 1, 100_001)
    losses = ((actual[None] - grid[:, None, None] * change[None]) ** 2).sum(axis=(1, 2))
    k = shrinkage_factor(torch.tensor(change), torch.tensor(actual))
    assert 0 <= k <= 1 and k == pytest.approx(grid[int(np.argmin(losses))], abs=1e-5)


def test_the_factor_at_its_edges():
    change = torch.tensor([1.0, -2.0, 0.5])
    assert shrinkage_factor(change, -change) == 0.0  # wrong way round: persistence
    assert shrinkage_factor(change, 3 * change) == 1.0  # never beyond the network's own forecast
    assert shrinkage_factor(torch.zeros(3), change) == 0.0  # no forecast change at all
    assert shrinkage_factor(change, 0.25 * change) == pytest.approx(0.25)


def _prices(path, n=90, later=-0.5):
    """Mean-reverting monthly returns (something for the network to learn); from the validation
    part on (value 62 of 90) the reversion is ``later`` instead of -0.5."""
    rng = np.random.default_rng(1)
    changes = np.zeros(n)
    for t in range(1, n):
        changes[t] = (-0.5 if t < 62 else later) * changes[t - 1] + rng.normal(0, 0.04)
    prices = 40 * np.exp(np.cumsum(changes))
    path.write_text("date,value\n" + "".join(f"{2000 + i // 12}-{i % 12 + 1:02d}-01,{p:.4f}\n"
                                             for i, p in enumerate(prices)))
    return prices


@pytest.mark.parametrize("factor", [0.0, 0.375])
def test_the_fitted_factor_is_saved_and_applied_by_predict_and_evaluate(tmp_path, monkeypatch, factor):
    """Training's factor (fixed here) reaches the weights, metrics.json, history.csv, the report and
    every forecast predict makes: forecast = last + k * change; k = 0 is persistence exactly."""
    import shendu
    import shendu.train.forecast as forecast
    from shendu.data.series import Scaler

    monkeypatch.setattr(forecast, "_factor", lambda cross, square: factor)
    prices = _prices(tmp_path / "prices.csv")
    result = run_cli("train", "stock-lstm", "--data", str(tmp_path / "prices.csv"), "--epochs", "2",
                     "--set", "hidden_size=4", "--set", "num_layers=1", "--set", "sarima=0,1,0",
                     "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_shrinkage"] == factor and "val_shrinkage" in (run / "history.csv").read_text()
    assert metrics["test_dm_identical"] is (factor == 0.0)
    report = (run / "report.md").read_text()
    assert f"k = {factor:.3f}" in report and "Diebold-Mariano vs persistence" in report
    if factor == 0.0:
        assert metrics["test_rmse"] == metrics["test_persistence_rmse"] and metrics["test_dm_pvalue"] == 1.0
    else:
        assert 0 <= metrics["test_dm_pvalue"] <= 1 and "significantly at 5% (Diebold-Mariano, p = " in report

    predictor = shendu.load(run)
    assert float(predictor.model.shrinkage) == factor
    history = prices[-12:]
    (forecast_result,) = predictor.predict([history])
    spec = predictor.input_spec
    scaler = Scaler(spec.mean, spec.std, spec.log)
    x = torch.tensor(scaler.transform(history), dtype=torch.float32)[None, :, None]
    with torch.no_grad():
        change = predictor.model.change(x).double().numpy()[0]  # the unshrunk network
    expected = scaler.inverse(float(x[0, -1, 0]) + factor * change)
    assert forecast_result.forecast == pytest.approx(expected.tolist(), rel=1e-5)
    if factor == 0.0:
        assert forecast_result.forecast[0] == pytest.approx(history[-1], rel=1e-6)
    assert predictor.evaluate().reproduced


def test_the_saved_factor_is_the_one_fitted_on_the_validation_windows_for_the_saved_weights(tmp_path):
    import shendu
    from shendu.data.series import SarimaOrder, load_series_csv, window_datasets

    _prices(tmp_path / "prices.csv", later=-0.2)  # the network learns -0.5, so k near 0.4 fits validation
    result = run_cli("train", "stock-lstm", "--data", str(tmp_path / "prices.csv"), "--epochs", "30",
                     "--set", "hidden_size=4", "--set", "num_layers=1", "--set", "sarima=0,1,0",
                     "--set", "weight_decay=0", "--set", "restore_best=false", "--lr", "0.02",
                     "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    predictor = shendu.load(run)
    series = load_series_csv(tmp_path / "prices.csv")
    val = window_datasets(series, 12, 1, SarimaOrder((0, 1, 0)), log=True)[0]["val"]
    x = torch.stack([val[i][0] for i in range(len(val))])
    y = torch.stack([val[i][1] for i in range(len(val))])
    with torch.no_grad():
        change = predictor.model.change(x)
    expected = shrinkage_factor(change.double(), (y - x[:, -1]).double())
    assert 0 < expected < 1  # this series' returns are partly predictable, so k is neither edge
    assert float(predictor.model.shrinkage) == pytest.approx(expected, abs=1e-6)

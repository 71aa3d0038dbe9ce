"""stock-lstm on every symbol vega_datasets ships, several seeds: does it lose to persistence anywhere?

    python benchmarks/stock_symbols.py [--seeds 0 1 2] [--out runs] [--tolerance 0.02]

Trains ``shendu train stock-lstm --symbol S --seed N`` through the CLI for the five symbols
(AAPL, AMZN, GOOG, IBM, MSFT; monthly closes 2000-2010) and prints, from each run's own
metrics.json:

- one row per run: the test RMSE of the LSTM and of last-value persistence, their ratio, the
  shrinkage factor k the run fitted on its validation months, and the Diebold-Mariano p-value
  of LSTM vs persistence (squared error, Harvey-Leybourne-Newbold correction);
- one row per symbol: the seeds' RMSEs beside persistence and ARIMA(0,1,1) with drift;
- the verdict: whether every run's RMSE is within ``--tolerance`` (2%) of persistence's.

One step ahead, in dollars.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

SYMBOLS = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")


def train(symbol: str, seed: int, out: Path) -> dict:
    """One ``shendu train stock-lstm`` run; its metrics.json."""
    folder = out / "stock-symbols-bench" / f"{symbol}-{seed}"
    subprocess.run([sys.executable, "-m", "shendu", "train", "stock-lstm", "--symbol", symbol, "--seed", str(seed),
                    "--out", str(folder), "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    run = max(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    return json.loads((run / "metrics.json").read_text())


def dm_cell(metrics: dict) -> str:
    if metrics.get("test_dm_identical"):
        return "1 (same forecasts)"
    p = metrics.get("test_dm_pvalue")
    return "—" if p is None else f"{p:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="runs", help="where the run folders go")
    parser.add_argument("--tolerance", type=float, default=0.02, help="largest allowed RMSE ratio - 1")
    args = parser.parse_args()
    runs = {(symbol, seed): train(symbol, seed, Path(args.out)) for symbol in SYMBOLS for seed in args.seeds}

    print("| symbol | seed | LSTM RMSE | persistence RMSE | ratio | shrinkage k | DM p-value (LSTM vs persistence) |")
    print("|---|---|---|---|---|---|---|")
    ratios = {}
    for (symbol, seed), m in runs.items():
        ratios[symbol, seed] = m["test_rmse"] / m["test_persistence_rmse"]
        print(f"| {symbol} | {seed} | {m['test_rmse']:.3f} | {m['test_persistence_rmse']:.3f} | "
              f"{ratios[symbol, seed]:.4f} | {m.get('test_shrinkage', float('nan')):.3f} | {dm_cell(m)} |")

    print("\n| symbol | test months | LSTM RMSE (seeds " + ", ".join(map(str, args.seeds)) + ") | LSTM mean "
          "| persistence RMSE | ARIMA(0,1,1)+drift RMSE | LSTM runs below persistence |")
    print("|---|---|---|---|---|---|---|")
    for symbol in SYMBOLS:
        results = [runs[symbol, seed] for seed in args.seeds]
        lstm = [m["test_rmse"] for m in results]
        persistence, arima = results[0]["test_persistence_rmse"], results[0]["test_sarima_rmse"]
        below = sum(r < persistence for r in lstm)
        print(f"| {symbol} | {results[0]['test_samples']} | {' / '.join(f'{r:.3f}' for r in lstm)} | "
              f"{statistics.mean(lstm):.3f} | {persistence:.3f} | {arima:.3f} | {below} of {len(lstm)} |")

    worst = max(ratios, key=ratios.get)
    within = sum(r <= 1 + args.tolerance for r in ratios.values())
    below = sum(m["test_rmse"] < m["test_persistence_rmse"] for m in runs.values())
    significant = sum(not m.get("test_dm_identical") and (m.get("test_dm_pvalue") or 1) < 0.05 for m in runs.values())
    print(f"\nLSTM below persistence in {below} of {len(runs)} runs; the Diebold-Mariano test finds a significant "
          f"difference (5%) in {significant} of {len(runs)}.")
    print(f"Verdict: {within} of {len(runs)} runs have a test RMSE within {args.tolerance:.0%} of persistence's "
          f"(worst: {worst[0]} seed {worst[1]}, ratio {ratios[worst]:.4f}) — "
          f"{'target met' if within == len(runs) else 'target NOT met'}.")


if __name__ == "__main__":
    main()

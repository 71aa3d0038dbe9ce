"""stock-lstm on every symbol vega_datasets ships, several seeds: is MSFT the exception?

    python benchmarks/stock_symbols.py [--seeds 0 1 2] [--out runs]

Trains ``shendu train stock-lstm --symbol S --seed N`` through the CLI for the five symbols
(AAPL, AMZN, GOOG, IBM, MSFT; monthly closes 2000-2010) and prints the test RMSE of the LSTM,
last-value persistence and ARIMA(0,1,1) with drift, all from the same run's metrics.json, and
how many runs beat persistence. One step ahead, in dollars.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

SYMBOLS = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="runs", help="where the run folders go")
    args = parser.parse_args()
    print("| symbol | test months | LSTM RMSE (seeds " + ", ".join(map(str, args.seeds)) + ") | LSTM mean "
          "| persistence RMSE | ARIMA(0,1,1)+drift RMSE | LSTM runs below persistence |")
    print("|---|---|---|---|---|---|---|")
    wins = total = 0
    for symbol in SYMBOLS:
        results = []
        for seed in args.seeds:
            out = Path(args.out) / "stock-symbols-bench" / f"{symbol}-{seed}"
            subprocess.run([sys.executable, "-m", "shendu", "train", "stock-lstm", "--symbol", symbol,
                            "--seed", str(seed), "--out", str(out), "--no-progress"], check=True,
                           stdout=subprocess.DEVNULL)
            run = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
            results.append(json.loads((run / "metrics.json").read_text()))
        lstm = [m["test_rmse"] for m in results]
        persistence, arima = results[0]["test_persistence_rmse"], results[0]["test_sarima_rmse"]
        below = sum(r < persistence for r in lstm)
        wins, total = wins + below, total + len(lstm)
        print(f"| {symbol} | {results[0]['test_samples']} | {' / '.join(f'{r:.3f}' for r in lstm)} | "
              f"{statistics.mean(lstm):.3f} | {persistence:.3f} | {arima:.3f} | {below} of {len(lstm)} |")
    print(f"\nLSTM below persistence in {wins} of {total} runs.")


if __name__ == "__main__":
    main()

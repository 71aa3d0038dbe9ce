"""CLI start-up: how long `shendu --help`, `shendu list` and `shendu train RECIPE --help` take in a
fresh process, against `python -c "import torch"` measured in the same run (the floor any
command that touches a model pays). Target (issue 12): about a second; none of them imports torch.

Each command runs ``--rounds`` times, alternating, in a fresh interpreter; the table shows the
median wall time and its ratio to importing torch.

    python benchmarks/cli_startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

COMMANDS = {
    "python -c 'import torch' (reference)": [sys.executable, "-c", "import torch"],
    "python -c 'import shendu'": [sys.executable, "-c", "import shendu"],
    "shendu --help": [sys.executable, "-m", "shendu", "--help"],
    "shendu list": [sys.executable, "-m", "shendu", "list"],
    "shendu train stock-lstm --help": [sys.executable, "-m", "shendu", "train", "stock-lstm", "--help"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per command (5)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env={**os.environ, "COLUMNS": "120"})
            times[name].append(time.perf_counter() - start)
    reference = statistics.median(next(iter(times.values())))
    table = Table(title=f"CLI start-up, median of {args.rounds} fresh processes")
    for column in ("command", "median s", "fastest s", "vs import torch"):
        table.add_column(column, justify="right" if column != "command" else "left")
    for name, values in times.items():
        median = statistics.median(values)
        table.add_row(name, f"{median:.3f}", f"{min(values):.3f}", f"{median / reference:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()

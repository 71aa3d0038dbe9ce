"""PNG figures for lab reports (matplotlib, Agg backend): small files, mean lines in bands that
span the seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 72  # the gallery's PNGs stay near 50 KB


def figure(rows: int = 1, cols: int = 1, width: float = 5.0, height: float = 3.6) -> tuple[Any, Any]:
    """A figure of ``rows x cols`` panels, each ``width x height`` inches; axes always an array.

    Margins are fixed in inches rather than found by ``tight_layout`` (which measures every tick
    label and takes most of a small report's time)."""
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    total_width, total_height = width * cols, height * rows
    fig.subplots_adjust(left=0.9 / total_width, right=1 - 0.15 / total_width, bottom=0.55 / total_height,
                        top=1 - 0.35 / total_height, wspace=0.95 / (width - 1.05), hspace=0.9 / (height - 0.9))
    return fig, axes


def save(fig: Any, folder: Path, name: str) -> str:
    """Write ``fig`` as ``folder/name`` (written beside it, then renamed: never half a PNG); return ``name``."""
    path = Path(folder) / name
    tmp = path.with_name(f".{name}.tmp.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    tmp.replace(path)
    return name


def band(ax: Any, curve: dict[str, Any], label: str, x: Any = None, start: int = 1, **style: Any) -> None:
    """Plot a curve summary's mean over seeds, in a band from the lowest to the highest seed
    (a range, unlike mean ± sd, stays positive on a log scale)."""
    mean = np.array([np.nan if v is None else v for v in curve["mean"]], dtype=float)
    x = np.arange(start, start + len(mean)) if x is None else np.asarray(x)
    (line,) = ax.plot(x, mean, label=label, **style)
    values = curve.get("values") or []
    if len(values) > 1:
        seeds = np.full((len(values), len(mean)), np.nan)
        for i, seed_curve in enumerate(values):
            seeds[i, : len(seed_curve)] = [np.nan if v is None else v for v in seed_curve]
        with np.errstate(all="ignore"):
            low, high = np.nanmin(seeds, axis=0), np.nanmax(seeds, axis=0)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.18, linewidth=0)


def finish(ax: Any, title: str, xlabel: str, ylabel: str, legend: bool = True, **settings: Any) -> None:
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, **settings)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(fontsize=8)

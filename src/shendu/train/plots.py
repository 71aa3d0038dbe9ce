"""Training curves as a PNG (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(rows: list[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Plot loss, accuracy and learning rate per epoch (the documents' TrainingMonitor)."""
    epochs = [r["epoch"] for r in rows]

    def series(key: str) -> list[float]:
        return [math.nan if r.get(key) is None else float(r[key]) for r in rows]

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for key, label in (("train_loss", "train"), ("val_loss", "val")):
        axes[0].plot(epochs, series(key), marker=".", label=label)
    axes[0].set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    for key, label in (("train_acc", "train"), ("val_acc", "val")):
        axes[1].plot(epochs, series(key), marker=".", label=label)
    axes[1].set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    axes[2].plot(epochs, series("lr"), marker=".", color="tab:green")
    axes[2].set(title="Learning rate", xlabel="epoch", ylabel="lr", yscale="log")
    for ax in axes[:2]:
        ax.legend()
    for ax in axes:
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path

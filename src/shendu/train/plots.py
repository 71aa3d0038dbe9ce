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
    return _save(fig, path)


def plot_confusion(targets: list[int], predictions: list[int], labels: list[str], path: Path) -> Path:
    """Confusion matrix of the test split: rows are true classes, columns predictions."""
    import numpy as np

    k = len(labels)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (np.asarray(targets, dtype=int), np.asarray(predictions, dtype=int)), 1)
    size = max(4.0, 0.5 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted", ylabel="true", title="Confusion matrix (test)")
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_yticklabels(labels)
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_misclassified(images: list[Any], titles: list[str], path: Path) -> Path:
    """A grid of test images the model got wrong, titled ``true -> predicted``."""
    columns = min(8, max(1, len(images)))
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles, strict=False):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(title, fontsize=8)
    if not images:
        axes[0, 0].text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
    fig.suptitle("Misclassified test images (true -> predicted)")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    """Write the figure beside ``path`` and rename it into place (no half-written PNG)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path

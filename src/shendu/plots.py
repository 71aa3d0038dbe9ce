"""Training curves as a PNG (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(rows: list[dict[str, Any]], path: Path, title: str = "",
                metric: tuple[str, str] = ("acc", "Accuracy")) -> Path:
    """Plot loss, a metric and the learning rate per epoch (the documents' TrainingMonitor).

    ``metric`` is ``(key, title)``: the rows' ``train_<key>`` and ``val_<key>`` are plotted
    (a key missing from every row leaves its line out, e.g. detection has no train mAP).
    """
    epochs = [r["epoch"] for r in rows]

    def series(key: str) -> list[float]:
        return [math.nan if r.get(key) is None else float(r[key]) for r in rows]

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for key, label in (("train_loss", "train"), ("val_loss", "val")):
        axes[0].plot(epochs, series(key), marker=".", label=label)
    axes[0].set(title="Loss", xlabel="epoch", ylabel="loss")
    key, name = metric
    for split in ("train", "val"):
        if any(r.get(f"{split}_{key}") is not None for r in rows):
            axes[1].plot(epochs, series(f"{split}_{key}"), marker=".", label=split)
    axes[1].set(title=name, xlabel="epoch", ylabel=name.lower())
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


def draw_detections(image: Any, detection: dict[str, Any], labels: list[str], score_threshold: float = 0.5,
                    truth: dict[str, Any] | None = None) -> Any:
    """Draw predicted boxes (green, ``label score``) and optionally true boxes (grey) on
    ``image`` (a ``(C, H, W)`` tensor in [0, 1]); returns a PIL image."""
    import torch
    from PIL import Image
    from torchvision.utils import draw_bounding_boxes

    pixels = (image.clamp(0, 1) * 255).to(torch.uint8)
    if pixels.shape[0] == 1:
        pixels = pixels.repeat(3, 1, 1)
    if truth is not None and len(truth["boxes"]):
        pixels = draw_bounding_boxes(pixels, truth["boxes"], colors="gray", width=1)
    keep = detection["scores"] >= score_threshold
    boxes = detection["boxes"][keep]
    if len(boxes):
        names = [f"{labels[int(c)]} {float(s):.2f}" for c, s in zip(detection["labels"][keep], detection["scores"][keep], strict=True)]
        pixels = draw_bounding_boxes(pixels, boxes, labels=names, colors="lime", width=1)
    return Image.fromarray(pixels.permute(1, 2, 0).numpy())


def plot_detections(images: list[Any], detections: list[dict[str, Any]], truths: list[dict[str, Any]],
                    labels: list[str], path: Path, score_threshold: float = 0.5) -> Path:
    """A grid of test images with predicted boxes (green) over the true boxes (grey)."""
    columns = min(4, max(1, len(images)))
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, detection, truth in zip(axes.ravel(), images, detections, truths, strict=False):
        ax.imshow(draw_detections(image, detection, labels, score_threshold, truth))
        found = int((detection["scores"] >= score_threshold).sum())
        ax.set_title(f"{found} found / {len(truth['boxes'])} true", fontsize=9)
    fig.suptitle(f"Test images: predicted boxes (green, score >= {score_threshold}) and true boxes (grey)")
    fig.tight_layout()
    return _save(fig, path)


def plot_forecast(dataset: Any, forecasts: dict[str, Any], path: Path) -> Path:
    """Top: the whole series (train, validation, test). Bottom: the test part, with the truth and
    each forecaster's ``horizon``-step-ahead forecasts at the dates they forecast."""
    import numpy as np

    series, split, horizon = dataset.series, dataset.split, dataset.horizon
    dates, values = series.dates, series.values
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7.5), height_ratios=(1, 1.3))
    top.plot(dates[:split.val_start], values[:split.val_start], color="0.45", lw=1, label="train")
    top.plot(dates[split.val_start - 1:split.test_start], values[split.val_start - 1:split.test_start],
             color="tab:orange", lw=1, label="validation")
    top.plot(dates[split.test_start - 1:], values[split.test_start - 1:], color="black", lw=1.2, label="test")
    top.set(title=f"{series.name}: the whole series", ylabel=series.unit or series.name)
    start = max(split.test_start - dataset.lookback, 0)
    bottom.plot(dates[start:split.test_start], values[start:split.test_start], color="0.6", lw=1, label="history")
    bottom.plot(dates[split.test_start:], values[split.test_start:], color="black", lw=1.8, marker=".", label="truth")
    at = dataset.origins + horizon - 1
    styles = {"lstm": ("tab:red", "LSTM"), "persistence": ("tab:blue", "persistence"), "sarima": ("tab:green", "SARIMA")}
    for name, forecast in forecasts.items():
        color, label = styles.get(name, (None, name))
        bottom.plot(dates[at], np.asarray(forecast)[:, -1], color=color, lw=1.3, ls="-" if name == "lstm" else "--",
                    label=f"{label} ({horizon}-step ahead)" if horizon > 1 else label)
    bottom.set(title="test part: forecasts", ylabel=series.unit or series.name)
    for ax in (top, bottom):
        ax.legend(ncol=5, fontsize=8)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_transcripts(features: list[Any], examples: list[tuple[str, str, str]], n_mels: int, path: Path) -> Path:
    """Log-mel features of a few test clips with their transcript, greedy and beam decodings."""
    import numpy as np

    fig, axes = plt.subplots(len(features), 1, figsize=(11, 2.4 * max(len(features), 1)), squeeze=False)
    for ax, x, (truth, greedy, beam) in zip(axes[:, 0], features, examples, strict=True):
        mel = np.asarray(x).reshape(-1, n_mels)  # undo frame stacking: (frames, n_mels)
        ax.imshow(mel.T, origin="lower", aspect="auto", cmap="magma")
        mark = "" if beam == truth else "  ✗"
        ax.set_title(f"truth: {truth}\ngreedy: {greedy}   beam: {beam}{mark}", fontsize=9, loc="left")
        ax.set(ylabel="mel band")
    axes[-1, 0].set_xlabel("frame (10 ms)")
    fig.tight_layout()
    return _save(fig, path)

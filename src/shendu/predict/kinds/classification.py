"""Classification of images and of feature vectors: top-k classes with probabilities, test
accuracy and loss, a confusion matrix and (images) the misclassified test images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from shendu.data.specs import ImageSpec, InputSpec
from shendu.errors import InputError, RunFolderError
from shendu.predict.baselines import baseline_rows
from shendu.predict.kinds.base import (
    ClassScores,
    Progress,
    TaskKind,
    check_top_k,
    image_batch,
    read_images,
    render_class_tables,
    top_classes,
)

if TYPE_CHECKING:
    from rich.console import Console
    from torchmetrics import MetricCollection

    from shendu.predict.predictor import Predictor

EVAL_BATCH_SIZE = 256
CONFUSION = "confusion.png"
MISCLASSIFIED = "misclassified.png"


def classification_metrics(num_classes: int, sync: bool = True) -> MetricCollection:
    """Top-1 accuracy (micro, the number the documents report).

    ``sync=False`` computes on this process's data only (a single-process evaluation after
    a multi-device run must not wait for the other processes).
    """
    from torchmetrics import MetricCollection
    from torchmetrics.classification import MulticlassAccuracy

    accuracy = MulticlassAccuracy(num_classes=num_classes, average="micro", validate_args=False,
                                  sync_on_compute=sync)
    return MetricCollection({"acc": accuracy})


@torch.no_grad()
def evaluate_classifier(model: nn.Module, dataset: Dataset, num_classes: int, device: str | torch.device = "cpu",
                        batch_size: int = EVAL_BATCH_SIZE, progress: Progress = None) -> dict[str, Any]:
    """Return ``{"test_acc", "test_loss", "test_samples"}`` plus per-example ``predictions``
    and ``targets`` (lists of class ids). Training and ``shendu evaluate`` both call this with
    the same batch size and order, so a rebuilt run reproduces metrics.json exactly.

    Args:
        model: a classifier returning logits ``(N, num_classes)``.
        dataset: yields ``(input, label)``; one whose examples differ in size carries ``collate_fn``.
        progress: optional callable ``(done, total)`` for a progress bar.
    """
    model = model.to(device).eval()
    metrics = classification_metrics(num_classes, sync=False).to(device)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=getattr(dataset, "collate_fn", None))
    total_loss, seen = 0.0, 0
    predictions: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        logits = model(inputs)
        total_loss += float(loss_fn(logits, targets))
        metrics.update(logits, targets)
        predictions.append(logits.argmax(dim=1).cpu())
        labels.append(targets.cpu())
        seen += len(targets)
        if progress is not None:
            progress(seen, len(dataset))  # type: ignore[arg-type]
    result = {f"test_{k}": float(v) for k, v in metrics.compute().items()}
    result["test_loss"] = total_loss / max(seen, 1)
    result["test_samples"] = seen
    result["predictions"] = torch.cat(predictions).tolist() if predictions else []
    result["targets"] = torch.cat(labels).tolist() if labels else []
    return result


def viewable(x: torch.Tensor, spec: ImageSpec) -> np.ndarray:
    """Undo the input normalisation: a (C, H, W) tensor -> an (H, W[, C]) array in [0, 1]."""
    mean = np.asarray(spec.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(spec.std, dtype=np.float32)[:, None, None]
    image = np.clip(x.numpy() * std + mean, 0.0, 1.0)
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)


class ClassifierKind(TaskKind):
    """What every classifier shares: accuracy, confusion matrix, report rows, headline."""

    options = {"top_k": 3}

    @torch.no_grad()
    def scores(self, predictor: Predictor, names: list[str], batch: torch.Tensor, top_k: int) -> list[ClassScores]:
        try:
            logits = predictor.model(batch)
        except RuntimeError as exc:  # a model.json whose `input` was edited: inputs of a shape the model cannot take
            shape = "x".join(map(str, batch.shape[1:]))
            raise RunFolderError(f"{predictor.run.file('model.json')}: the model failed on inputs of the shape its "
                                 f"`input` gives ({shape}): {' '.join(str(exc).split())[:200]}. If model.json was "
                                 "edited, restore it from the run, or train again.") from None
        probabilities = torch.softmax(logits, dim=1)
        return [ClassScores(name, top) for name, top in
                zip(names, top_classes(probabilities, predictor.labels, check_top_k(top_k)), strict=True)]

    def render(self, results: Sequence[Any], console: Console) -> None:
        render_class_tables(results, console)

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Progress = None) -> dict[str, Any]:
        return evaluate_classifier(model, dataset, len(labels), progress=progress)

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        from shendu.plots import plot_confusion

        plot_confusion(evaluation["targets"], evaluation["predictions"], labels, folder / CONFUSION)
        return [CONFUSION]

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        acc = metrics["test_acc"]
        rows = [("test accuracy", f"{acc:.4f} ({acc * 100:.2f}%)"), ("test loss", f"{metrics['test_loss']:.4f}")]
        if "scratch_test_acc" in metrics:
            rows.append(("test accuracy computed by the scratch engine", f"{metrics['scratch_test_acc']:.4f}"))
        return rows + baseline_rows(metrics) + [("test examples", str(metrics["test_samples"]))]

    def headline(self, metrics: dict[str, Any]) -> str:
        return f"test accuracy: [bold]{metrics['test_acc'] * 100:.2f}%[/] on {metrics['test_samples']:,} {self.test_noun}"


class ImageClassification(ClassifierKind):
    """Image files (or PIL images, arrays) -> top-k classes."""

    task = "image-classification"
    input_kind = "image"
    test_noun = "test images"

    def predict(self, predictor: Predictor, inputs: Sequence[Any], top_k: int = 3) -> list[ClassScores]:
        check_top_k(top_k)  # options first: a bad option is reported before any input is read
        named = read_images(inputs)
        batch = image_batch([image for _, image in named], predictor.input_spec)  # type: ignore[arg-type]
        return self.scores(predictor, [name for name, _ in named], batch, top_k)

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        from shendu.plots import plot_misclassified

        pictures = super().pictures(dataset, evaluation, labels, spec, folder)
        targets, predictions = evaluation["targets"], evaluation["predictions"]
        wrong = [i for i, (t, p) in enumerate(zip(targets, predictions, strict=True)) if t != p][:32]
        plot_misclassified([viewable(dataset[i][0], spec) for i in wrong],  # type: ignore[arg-type]
                           [f"{labels[targets[i]]} -> {labels[predictions[i]]}" for i in wrong], folder / MISCLASSIFIED)
        return [*pictures, MISCLASSIFIED]


class VectorClassification(ClassifierKind):
    """Feature vectors (``"x1,x2,..."`` or sequences of numbers) -> top-k classes."""

    task = "vector-classification"
    input_kind = "vector"

    def predict(self, predictor: Predictor, inputs: Sequence[Any], top_k: int = 3) -> list[ClassScores]:
        check_top_k(top_k)
        features = predictor.input_spec.features  # type: ignore[attr-defined]
        rows, names = [], []
        for item in inputs:
            row = _numbers(item)
            if row is None or len(row) != features:
                raise InputError(f"INPUT must be {features} comma-separated numbers for this model, like "
                                 f"{','.join(['1'] * features)}; got {item!r}.")
            rows.append(row)
            names.append(item if isinstance(item, str) else ",".join(f"{v:g}" for v in row))
        return self.scores(predictor, names, torch.tensor(rows, dtype=torch.float32), top_k)


def _numbers(item: Any) -> list[float] | None:
    """``"1,0"`` or a sequence of numbers -> floats; ``None`` when it is neither."""
    try:
        if isinstance(item, str):
            return [float(v) for v in item.split(",")]
        values = [float(v) for v in np.asarray(item, dtype=np.float64).reshape(-1)]
    except (TypeError, ValueError):
        return None
    return values if all(np.isfinite(values)) else None


IMAGE_CLASSIFICATION = ImageClassification()
VECTOR_CLASSIFICATION = VectorClassification()

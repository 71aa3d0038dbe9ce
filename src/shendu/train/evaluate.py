"""Test-split evaluation, shared by training (metrics.json) and `shendu evaluate`.

Both paths call :func:`evaluate_classifier` with the same batch size and order, so a run
folder rebuilt from model.json + model.safetensors reproduces metrics.json exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from shendu.train.module import classification_metrics

EVAL_BATCH_SIZE = 256


@torch.no_grad()
def evaluate_classifier(
    model: nn.Module, dataset: Dataset, num_classes: int, device: str | torch.device = "cpu",
    batch_size: int = EVAL_BATCH_SIZE, progress: Any = None,
) -> dict[str, Any]:
    """Return ``{"test_acc", "test_loss", "test_samples"}`` plus per-example ``predictions``
    and ``targets`` (lists of class ids).

    Args:
        model: a classifier returning logits ``(N, num_classes)``.
        dataset: yields ``(input, label)``.
        progress: optional callable ``(done, total)`` for a progress bar.
    """
    model = model.to(device).eval()
    metrics = classification_metrics(num_classes, sync=False).to(device)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    # datasets whose examples differ in size (padded texts) carry their batching function
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

"""The end of every training run, whatever the engine: test, save, describe.

Test metrics are computed by :func:`evaluate_classifier` on the torch model holding the
final weights: the same function and model `shendu evaluate` rebuilds from the run folder,
so metrics.json is reproduced exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from torch import nn

from shendu.models import factory_path
from shendu.runfolder import CURVES, METRICS, MODEL, REPORT, RunFolder
from shendu.train.evaluate import evaluate_classifier
from shendu.train.plots import plot_confusion, plot_curves, plot_misclassified
from shendu.train.report import render_report
from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)

CONFUSION = "confusion.png"
MISCLASSIFIED = "misclassified.png"


@dataclass
class FitResult:
    run: RunFolder
    metrics: dict[str, Any]
    history: list[dict[str, Any]]


def finish_run(task: TrainingTask, run: RunFolder, model: nn.Module, history: list[dict[str, Any]],
               env: dict[str, Any], weights_epoch: int, wall_seconds: float,
               extra_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """Test ``model``, then write model.safetensors, model.json, metrics.json, curves, report.

    metrics.json is written after the weights: a run folder with metrics.json is complete.
    """
    model = model.cpu().eval()
    metrics = evaluate_classifier(model, task.data.test, len(task.data.labels))
    predictions, targets = metrics.pop("predictions"), metrics.pop("targets")
    epoch_seconds = [r["seconds"] for r in history]
    total = sum(epoch_seconds)
    metrics.update({
        "weights_epoch": weights_epoch,
        "epochs_run": len(history),
        "train_seconds": round(total, 3),
        "wall_seconds": round(wall_seconds, 3),
        "seconds_per_epoch": round(total / max(len(epoch_seconds), 1), 4),
        "train_examples_per_second": round(len(task.data.train) * len(epoch_seconds) / max(total, 1e-9), 1),  # type: ignore[arg-type]
    })
    metrics.update(extra_metrics or {})
    if task.target is not None:
        metrics["target"] = {"metric": task.target.metric, "minimum": task.target.minimum,
                             "met": task.target.met(metrics)}
    num_parameters = sum(p.numel() for p in model.parameters())
    sha = run.save_weights(model.state_dict(), metadata={"format": "pt"})
    run.write_json(MODEL, {
        "factory": factory_path(task.factory),
        "kwargs": task.model_kwargs,
        "task": "image-classification",
        "labels": task.data.labels,
        "input": task.data.input_spec,
        "weights_sha256": sha,
        "num_parameters": num_parameters,
    })
    run.write_json(METRICS, metrics)
    plot_curves(history, run.file(CURVES), title=f"{task.recipe}: {task.title}")
    plot_confusion(targets, predictions, task.data.labels, run.file(CONFUSION))
    pictures = [CONFUSION]
    if task.data.input_spec.get("kind") == "image":
        wrong = [i for i, (t, p) in enumerate(zip(targets, predictions, strict=True)) if t != p][:32]
        plot_misclassified([_viewable(task.data.test[i][0], task.data.input_spec) for i in wrong],
                           [f"{task.data.labels[targets[i]]} -> {task.data.labels[predictions[i]]}" for i in wrong],
                           run.file(MISCLASSIFIED))
        pictures.append(MISCLASSIFIED)
    run.write_text(REPORT, render_report(task, metrics, history, env, num_parameters, pictures))
    log.info("run %s: test accuracy %.4f", run.path, metrics.get("test_acc", float("nan")))
    return metrics


def _viewable(x: Any, spec: dict[str, Any]) -> Any:
    """Undo the input normalisation: a (C, H, W) tensor -> an (H, W[, C]) array in [0, 1]."""
    import numpy as np

    mean = np.asarray(spec["mean"], dtype=np.float32)[:, None, None]
    std = np.asarray(spec["std"], dtype=np.float32)[:, None, None]
    image = np.clip(x.numpy() * std + mean, 0.0, 1.0)
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)

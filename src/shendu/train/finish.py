"""The end of every training run, whatever the engine: test, save, describe.

Test metrics are computed by the task kind's evaluation (:mod:`shendu.predict.kinds`) on the torch
model holding the final weights: the same function and model `shendu evaluate` rebuilds from the run
folder (model.json's ``test_data`` rebuilds the test split), so metrics.json is reproduced exactly.
A classifier's baselines (:mod:`shendu.train.baselines`) are fitted here, on the same splits, and
scored on the same test labels.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from torch import nn

from shendu.data.base import dataset_checksum
from shendu.models import factory_path
from shendu.plots import plot_curves
from shendu.predict.baselines import BASELINES_FILE
from shendu.predict.predictor import ModelSpec
from shendu.runfolder import CURVES, METRICS, MODEL, REPORT, RunFolder
from shendu.train.baselines import scored, task_baselines
from shendu.train.report import render_report
from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)


def check_finite_weights(model: nn.Module, run: RunFolder) -> None:
    """Refuse to write weights that hold NaN or infinity (a diverged run's) as a result."""
    import torch

    bad = [name for name, tensor in model.state_dict().items()
           if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())]
    if bad:
        from shendu.train.base_module import DivergenceError

        raise DivergenceError(
            f"training diverged: the final weights of {run.path} hold NaN or infinity ({', '.join(bad[:3])}"
            f"{'...' if len(bad) > 3 else ''}), so no model.safetensors was written. Train again with a smaller "
            "--lr, --set gradient_clip_val=1.0, or --set on_nonfinite=stop to stop at the first bad step.")


@dataclass
class FitResult:
    run: RunFolder
    metrics: dict[str, Any]
    history: list[dict[str, Any]]


def finish_run(task: TrainingTask, run: RunFolder, model: nn.Module, history: list[dict[str, Any]],
               env: dict[str, Any], weights_epoch: int, wall_seconds: float,
               extra_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """Test ``model`` (and a classifier's baselines), then write model.safetensors, model.json,
    baselines.json, metrics.json, curves, report.

    metrics.json is written after the weights: a run folder with metrics.json is complete.
    """
    model = model.cpu().eval()
    check_finite_weights(model, run)
    kind, spec = task.task_kind, task.data.input_spec
    evaluation = kind.evaluate(model, task.data.test, task.data.labels, spec)
    metrics = {k: v for k, v in evaluation.items() if k.startswith("test_")}
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
    notes = []
    started = time.perf_counter()
    baselines = task_baselines(task)
    if baselines is not None:
        test_sha256 = (env.get("data") or {}).get("test_sha256") or dataset_checksum(task.data.test)
        document, baseline_metrics = scored(baselines, task.data.labels, evaluation["targets"], test_sha256)
        metrics.update({**baseline_metrics, "baseline_seconds": round(time.perf_counter() - started, 3)})
        notes.append(baselines.note(task.data.labels))
    if task.target is not None:
        metrics["target"] = task.target.to_dict(metrics)
    num_parameters = sum(p.numel() for p in model.parameters())
    for name, text in task.data.files.items():  # e.g. tokenizer.json: predict must tokenise as training did
        run.write_text(name, text)
    sha = run.save_weights(model.state_dict(), metadata={"format": "pt"})
    run.write_json(MODEL, ModelSpec(
        factory=factory_path(task.factory), kwargs=task.model_kwargs, task=kind.task, labels=task.data.labels,
        input=spec, weights_sha256=sha, num_parameters=num_parameters, test_data=task.data.test_source,
        variant=task.variant,
    ).to_dict())
    if baselines is not None:
        run.write_json(BASELINES_FILE, document)
    run.write_json(METRICS, metrics)
    plot_curves(history, run.file(CURVES), title=f"{task.recipe}: {task.title}", metric=task.train_kind.curve)
    pictures = kind.pictures(task.data.test, evaluation, task.data.labels, spec, run.path)
    run.write_text(REPORT, render_report(task, metrics, history, env, num_parameters, pictures, notes))
    log.info("run %s: %s", run.path, {k: v for k, v in metrics.items() if k.startswith("test_") and isinstance(v, float)})
    return metrics


"""Training kinds: what training does differently per kind of task.

Everything a task kind does once a model exists (read inputs, predict, render, evaluate, its
pictures and report rows) lives with the task kind on the predict side
(:mod:`shendu.predict.kinds`). What is left here is what only training needs: the
LightningModule, the history columns and the curve plotted beside the loss, and which task
kind a training run's model.json names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import nn

from shendu.data.specs import InputSpec

if TYPE_CHECKING:
    import lightning as L

    from shendu.train.task import TrainingTask


@dataclass(frozen=True)
class TrainKind:
    """Args:
        name: ``TrainingTask.kind``.
        history_columns: the columns of history.csv (and of the report's epoch table).
        curve: ``(key, title)`` of the metric plotted beside the loss.
        make_module: ``(task, model, steps_per_epoch) -> LightningModule``.
        task: model.json's ``task`` for an input spec (classifiers say what they classify).
    """

    name: str
    history_columns: tuple[str, ...]
    curve: tuple[str, str]
    make_module: Callable[[TrainingTask, nn.Module, int], L.LightningModule]
    task: Callable[[InputSpec], str]


def _supervised_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.members import MemberEnsembleModule, trains_members_apart
    from shendu.train.module import SupervisedModule

    module = MemberEnsembleModule if trains_members_apart(model) else SupervisedModule  # the model says how
    return module(model, task.loss_fn, task.metrics(len(task.data.labels)), task.config,
                  steps_per_epoch=steps_per_epoch)


def _forecast_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.forecast import ForecastModule

    return ForecastModule(model, task.loss_fn, task.metrics(len(task.data.labels)), task.config,
                          steps_per_epoch=steps_per_epoch)


def _detector_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.detection import DetectionModule

    return DetectionModule(model, task.config, steps_per_epoch=steps_per_epoch)


def _speech_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.speech import CTCModule

    return CTCModule(model, "".join(task.data.labels), task.config, steps_per_epoch=steps_per_epoch)


def _multimodal_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.module import ComparisonModule

    return ComparisonModule(model, task.loss_fn, task.metrics(len(task.data.labels)), task.config,
                            steps_per_epoch=steps_per_epoch)


def _distillation_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.distill import DistillationModule, MemberDistillationModule
    from shendu.train.members import trains_members_apart

    module = MemberDistillationModule if trains_members_apart(model) else DistillationModule
    return module(model, task.loss_fn, task.metrics(len(task.data.labels)), task.config,
                  steps_per_epoch=steps_per_epoch)


CLASSIFICATION_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")

TRAIN_KINDS = {k.name: k for k in (
    TrainKind("classification", CLASSIFICATION_COLUMNS, ("acc", "Accuracy"), _supervised_module,
              lambda spec: f"{spec.kind}-classification"),
    TrainKind("detection", ("epoch", "train_loss", "train_loss_classifier", "train_loss_box_reg",
                            "train_loss_objectness", "train_loss_rpn_box_reg", "val_loss", "val_map_50", "val_map",
                            "lr", "seconds"), ("map_50", "mAP@0.5"), _detector_module,
              lambda spec: "object-detection"),
    TrainKind("forecast", ("epoch", "train_loss", "train_rmse", "val_loss", "val_rmse", "val_shrinkage", "lr",
                           "seconds"),
              ("rmse", "RMSE (scaled units)"), _forecast_module, lambda spec: "time-series-forecasting"),
    TrainKind("speech", ("epoch", "train_loss", "val_loss", "val_cer", "val_wer", "lr", "seconds"),
              ("wer", "Word error rate (greedy)"), _speech_module, lambda spec: "speech-recognition"),
    TrainKind("multimodal", CLASSIFICATION_COLUMNS, ("acc", "Accuracy (fused)"), _multimodal_module,
              lambda spec: "multimodal-classification"),
    # a classifier trained against a teacher's logits (`shendu distill`): loss_fn is a DistillationLoss
    TrainKind("distillation", CLASSIFICATION_COLUMNS, ("acc", "Accuracy"), _distillation_module,
              lambda spec: f"{spec.kind}-classification"),
)}


def get_train_kind(name: str) -> TrainKind:
    return TRAIN_KINDS[name]

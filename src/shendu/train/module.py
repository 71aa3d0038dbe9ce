"""One LightningModule for every classifier: a model, a loss and torchmetrics metrics."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchmetrics import MeanMetric, MetricCollection

from shendu.predict.kinds.classification import classification_metrics
from shendu.train.base_module import BaseModule
from shendu.train.config import TrainConfig
from shendu.train.optimizers import create_optimizer, create_scheduler, lightning_scheduler

__all__ = ["ComparisonModule", "SupervisedModule", "classification_metrics"]


class SupervisedModule(BaseModule):
    """Wrap ``model`` for Lightning with a loss, torchmetrics metrics, optimizer and scheduler.

    Args:
        model: maps a batch's inputs to predictions.
        loss_fn: ``loss_fn(predictions, targets)``, e.g. ``nn.CrossEntropyLoss()``.
        metrics: a MetricCollection updated with ``(predictions, targets)``; it is cloned
            per split with prefixes ``train_``, ``val_``, ``test_``.
        config: optimizer and scheduler settings.
        steps_per_epoch: optimizer steps per epoch (for per-step schedules like OneCycle).

    Logged names: ``train_loss``, ``val_loss``, ``test_loss`` and ``<split>_<metric>`` (epoch
    means), which callbacks and history.csv read.
    """

    def __init__(self, model: nn.Module, loss_fn: nn.Module, metrics: MetricCollection,
                 config: TrainConfig, steps_per_epoch: int) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn
        self.config = config
        self.steps_per_epoch = steps_per_epoch
        self.train_metrics = metrics.clone(prefix="train_")
        self.val_metrics = metrics.clone(prefix="val_")
        self.test_metrics = metrics.clone(prefix="test_")
        self.train_loss, self.val_loss, self.test_loss = MeanMetric(), MeanMetric(), MeanMetric()
        self.keep_across_resume(self.train_loss, self.train_metrics)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _step(self, batch: Any, batch_idx: int, stage: str) -> torch.Tensor:
        inputs, targets = batch
        predictions, loss = self.predictions_and_loss(inputs, targets)
        metrics: MetricCollection = getattr(self, f"{stage}_metrics")
        mean_loss: MeanMetric = getattr(self, f"{stage}_loss")
        metrics.update(predictions.detach(), targets)
        mean_loss.update(loss.detach(), weight=len(targets))
        if self.first_in_epoch(stage):
            # Logging a Metric *object* once per epoch is enough: Lightning computes it (over
            # every update of the epoch, synced across devices) and resets it at epoch end,
            # before callbacks read it. Calling self.log on every step costs ~1 ms a call.
            self.log(f"{stage}_loss", mean_loss, on_step=False, on_epoch=True)
            self.log_dict(metrics, on_step=False, on_epoch=True)
        return loss

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the metrics read and the loss to minimise (a subclass may train more than it predicts)."""
        predictions = self.model(inputs)
        return predictions, self.loss_fn(predictions, targets)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor | None:
        return self.guard(self._step(batch, batch_idx, "train"), batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, batch_idx, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, batch_idx, "test")

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.model.parameters(), self.config)
        scheduler = build_scheduler(optimizer, self.config, self.steps_per_epoch)
        if scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


class ComparisonModule(SupervisedModule):
    """Train a :class:`~shendu.models.multimodal.MultiModalComparison`: the loss is every model's
    (fused, image-only, text-only) on the same batch; the metrics read the fused model's."""

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from shendu.models.multimodal import comparison_loss

        branches = self.model.branches(inputs)
        return branches["fused"], comparison_loss(branches, targets)


def build_optimizer(params: Any, config: TrainConfig) -> torch.optim.Optimizer:
    """``config.optimizer`` from ``torch.optim`` (see :data:`shendu.train.optimizers.OPTIMIZER_CHOICES`)."""
    return create_optimizer(torch.optim, params, config)


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int) -> dict | None:
    """A Lightning lr_scheduler config for ``config.scheduler`` (None for ``"none"``)."""
    return lightning_scheduler(*create_scheduler(torch.optim, optimizer, config, steps_per_epoch))

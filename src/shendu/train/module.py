"""One LightningModule for every classifier: a model, a loss and torchmetrics metrics."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from shendu.train.config import TrainConfig


def classification_metrics(num_classes: int, sync: bool = True) -> MetricCollection:
    """Top-1 accuracy (micro, the number the documents report).

    ``sync=False`` computes on this process's data only (a single-process evaluation after
    a multi-device run must not wait for the other processes).
    """
    accuracy = MulticlassAccuracy(num_classes=num_classes, average="micro", validate_args=False,
                                  sync_on_compute=sync)
    return MetricCollection({"acc": accuracy})


class SupervisedModule(L.LightningModule):
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _step(self, batch: Any, batch_idx: int, stage: str) -> torch.Tensor:
        inputs, targets = batch
        predictions = self.model(inputs)
        loss = self.loss_fn(predictions, targets)
        metrics: MetricCollection = getattr(self, f"{stage}_metrics")
        mean_loss: MeanMetric = getattr(self, f"{stage}_loss")
        metrics.update(predictions.detach(), targets)
        mean_loss.update(loss.detach(), weight=len(targets))
        if batch_idx == 0:
            # Logging a Metric *object* once per epoch is enough: Lightning computes it (over
            # every update of the epoch, synced across devices) and resets it at epoch end,
            # before callbacks read it. Calling self.log on every step costs ~1 ms a call.
            self.log(f"{stage}_loss", mean_loss, on_step=False, on_epoch=True)
            self.log_dict(metrics, on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, batch_idx, "train")

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


def build_optimizer(params: Any, config: TrainConfig) -> torch.optim.Optimizer:
    """The documents' optimizers, by name (SGD, momentum, RMSProp, Adam, AdamW)."""
    lr, wd = config.lr, config.weight_decay
    match config.optimizer:
        case "sgd":
            return torch.optim.SGD(params, lr=lr, weight_decay=wd)
        case "momentum":
            return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
        case "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
        case "adam":
            return torch.optim.Adam(params, lr=lr, weight_decay=wd)
        case "adamw":
            return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int) -> dict | None:
    """A Lightning lr_scheduler config for ``config.scheduler`` (None for ``"none"``)."""
    match config.scheduler:
        case "none":
            return None
        case "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=config.plateau_factor, patience=config.plateau_patience
            )
            return {"scheduler": scheduler, "monitor": "val_loss", "interval": "epoch"}
        case "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch
            )
            return {"scheduler": scheduler, "interval": "step"}
        case "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
            return {"scheduler": scheduler, "interval": "epoch"}
        case "step":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, config.epochs // 3), gamma=0.1)
            return {"scheduler": scheduler, "interval": "epoch"}
    raise ValueError(f"unknown scheduler {config.scheduler!r}")

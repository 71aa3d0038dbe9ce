"""Object detection on the training contract: a LightningModule and the test evaluation.

torchvision's detectors compute their own losses in train mode and return detections in eval
mode. Validation needs both: the loss (for checkpoints, early stopping and the plateau
schedule, like every recipe) and mAP (what a detector is judged by). The loss is computed
with the network in train mode but its normalisation and dropout layers in eval mode, under
``no_grad``, so validation changes no weights and no running statistics.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torchmetrics import MeanMetric

from shendu.predict.kinds.detection import mean_average_precision
from shendu.train.base_module import BaseModule
from shendu.train.config import TrainConfig
from shendu.train.module import build_optimizer, build_scheduler

LOSS_PARTS = ("loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg")


@contextlib.contextmanager
def losses_without_updates(model: nn.Module) -> Iterator[None]:
    """Train-mode forward (so the detector returns losses) with eval-mode normalisation and
    dropout, and no gradients; restores the modes afterwards."""
    modes = {m: m.training for m in model.modules()}
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm | nn.Dropout):
            m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in modes.items():
            m.train(mode)


class DetectionModule(BaseModule):
    """Wrap a torchvision-style detector for Lightning.

    Logged names (epoch means): ``train_loss`` and its parts ``train_loss_classifier``,
    ``train_loss_box_reg``, ``train_loss_objectness``, ``train_loss_rpn_box_reg``;
    ``val_loss``; ``val_map_50`` and ``val_map`` (mAP@[.5:.95]).
    """

    def __init__(self, model: nn.Module, config: TrainConfig, steps_per_epoch: int) -> None:
        super().__init__()
        self.model = model
        self.config = config
        self.steps_per_epoch = steps_per_epoch
        self.train_loss, self.val_loss = MeanMetric(), MeanMetric()
        self.train_parts = nn.ModuleDict({part: MeanMetric() for part in LOSS_PARTS})
        self.val_map = mean_average_precision()
        self.keep_across_resume(self.train_loss, *self.train_parts.values())

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return self.model(images)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        images, targets = batch
        parts = self.model(images, targets)
        loss = sum(parts.values())
        self.train_loss.update(loss.detach(), weight=len(images))
        for name, value in parts.items():
            if name in self.train_parts:
                self.train_parts[name].update(value.detach(), weight=len(images))
        if self.first_in_epoch("train"):  # log Metric objects once; Lightning computes them at epoch end
            self.log("train_loss", self.train_loss, on_step=False, on_epoch=True, batch_size=len(images))
            for name, metric in self.train_parts.items():
                self.log(f"train_{name}", metric, on_step=False, on_epoch=True, batch_size=len(images))
        return self.guard(loss, batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        images, targets = batch
        with losses_without_updates(self.model):
            loss = sum(self.model(images, targets).values())
        self.val_loss.update(loss, weight=len(images))
        self.val_map.update(self.model(images), targets)
        if self.first_in_epoch("val"):
            self.log("val_loss", self.val_loss, on_step=False, on_epoch=True, batch_size=len(images))

    def on_validation_epoch_end(self) -> None:
        result = self.val_map.compute()
        self.log("val_map_50", float(result["map_50"]), sync_dist=False)
        self.log("val_map", float(result["map"]), sync_dist=False)
        self.val_map.reset()

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer([p for p in self.model.parameters() if p.requires_grad], self.config)
        scheduler = build_scheduler(optimizer, self.config, self.steps_per_epoch)
        return optimizer if scheduler is None else {"optimizer": optimizer, "lr_scheduler": scheduler}

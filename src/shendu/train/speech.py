"""Speech recognition with CTC: the LightningModule (decoding and error rates live with the
speech task kind, :mod:`shendu.predict.kinds.speech`)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchmetrics import MeanMetric
from torchmetrics.text import CharErrorRate, WordErrorRate

from shendu.predict.kinds.speech import BLANK, decode_batch, target_texts
from shendu.train.base_module import BaseModule
from shendu.train.config import TrainConfig
from shendu.train.module import build_optimizer, build_scheduler


class CTCModule(BaseModule):
    """A SpeechRecognizer trained with CTC loss; validation decodes greedily and logs
    ``val_cer`` and ``val_wer``."""

    def __init__(self, model: nn.Module, alphabet: str, config: TrainConfig, steps_per_epoch: int) -> None:
        super().__init__()
        self.model, self.alphabet, self.config, self.steps_per_epoch = model, alphabet, config, steps_per_epoch
        self.ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
        self.train_loss, self.val_loss = MeanMetric(), MeanMetric()
        self.val_cer, self.val_wer = CharErrorRate(), WordErrorRate()
        self.keep_across_resume(self.train_loss)

    def _loss(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Any]:
        (features, lengths), (targets, target_lengths) = batch
        log_probs = self.model(features, lengths)
        loss = self.ctc(log_probs.transpose(0, 1), targets, lengths, target_lengths)
        return loss, log_probs, lengths, (targets, target_lengths)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss, *_ = self._loss(batch)
        self.train_loss.update(loss.detach(), weight=len(batch[0][1]))
        if self.first_in_epoch("train"):
            self.log("train_loss", self.train_loss, on_step=False, on_epoch=True)
        return self.guard(loss, batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        loss, log_probs, lengths, (targets, target_lengths) = self._loss(batch)
        self.val_loss.update(loss.detach(), weight=len(lengths))
        predictions = decode_batch(log_probs, lengths, self.alphabet)
        truth = target_texts(targets, target_lengths, self.alphabet)
        self.val_cer.update(predictions, truth)
        self.val_wer.update(predictions, truth)
        if self.first_in_epoch("val"):
            self.log("val_loss", self.val_loss, on_step=False, on_epoch=True)
            self.log("val_cer", self.val_cer, on_step=False, on_epoch=True)
            self.log("val_wer", self.val_wer, on_step=False, on_epoch=True)

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.model.parameters(), self.config)
        scheduler = build_scheduler(optimizer, self.config, self.steps_per_epoch)
        return optimizer if scheduler is None else {"optimizer": optimizer, "lr_scheduler": scheduler}

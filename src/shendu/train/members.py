"""An ensemble's members trained apart in one model and one run, each stopped at its own best epoch.

A model whose ``train_apart`` is true and that has ``members`` (the names of its member
submodules), ``member_logits(x) -> (B, M, C)`` and ``combine(member_logits) -> (B, C)``
(:class:`shendu.models.ngram.NgramCNNClassifier`) trains as M separate models would:

- each member minimises its own loss (the task's loss of its own logits); the training loss
  logged is their mean, and since no member's loss reads another's outputs, their gradients
  are those of M separate trainings sharing one optimizer's settings and one schedule;
- validation scores the ensemble (``val_loss``, ``val_acc``: what checkpoints and early stopping
  read) and each member alone (``val_loss_<member>``); each member keeps a copy of its weights
  from the epoch of its own lowest validation loss, and :meth:`restore_member_bests` puts those
  in the model when training ends, whatever epoch the ensemble stopped at. A member that
  overfits after two epochs is used from epoch two while the others train on, as separately
  early-stopped models are (issue 18, benchmarks/RESULTS.md "reviews-zh").

The copies travel in ``last.ckpt``, so ``--resume`` keeps them.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torchmetrics import MeanMetric

from shendu.train.module import SupervisedModule

__all__ = ["MemberEnsembleModule", "trains_members_apart"]

_CHECKPOINT_KEY = "member_bests"


def trains_members_apart(model: nn.Module) -> bool:
    """Whether ``model`` is an ensemble whose members train apart."""
    return bool(getattr(model, "train_apart", False)) and hasattr(model, "member_logits")


class MemberEnsembleModule(SupervisedModule):
    """A :class:`SupervisedModule` that trains ``model``'s members apart (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_names: tuple[str, ...] = tuple(self.model.members)
        self.member_val_losses = nn.ModuleList(MeanMetric() for _ in self.member_names)
        self.best_member_losses = [math.inf] * len(self.member_names)
        self.best_member_epochs = [0] * len(self.member_names)
        self.best_member_weights: dict[str, dict[str, torch.Tensor]] = {}
        self._last_members: torch.Tensor | None = None

    def scoring_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The loss validation scores a member or the ensemble with (the task's loss)."""
        return self.loss_fn(logits, targets)

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        members = self.model.member_logits(inputs)  # (B, M, C)
        predictions = self.model.combine(members)
        if self.training:
            losses = [self.loss_fn(members[:, k], targets) for k in range(members.shape[1])]
            return predictions, torch.stack(losses).mean()
        self._last_members = members.detach()
        return predictions, self.scoring_loss(predictions, targets)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        super().validation_step(batch, batch_idx)
        _, targets = batch
        assert self._last_members is not None
        for k, metric in enumerate(self.member_val_losses):
            metric.update(self.scoring_loss(self._last_members[:, k], targets), weight=len(targets))
        self._last_members = None

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        if self.trainer.sanity_checking:
            for metric in self.member_val_losses:
                metric.reset()
            return
        epoch = self.current_epoch + 1
        for k, (name, metric) in enumerate(zip(self.member_names, self.member_val_losses, strict=True)):
            value = float(metric.compute())
            metric.reset()
            self.log(f"val_loss_{name}", value)
            if value < self.best_member_losses[k]:
                self.best_member_losses[k], self.best_member_epochs[k] = value, epoch
                self.best_member_weights[name] = {key: tensor.detach().cpu().clone()
                                                  for key, tensor in getattr(self.model, name).state_dict().items()}

    def restore_member_bests(self) -> dict[str, int]:
        """Load each member's weights of its best validation epoch into the model; returns
        ``{member: epoch}`` (1-based) for the members that have one."""
        for name, state in self.best_member_weights.items():
            getattr(self.model, name).load_state_dict(state)
        return {name: epoch for name, epoch in zip(self.member_names, self.best_member_epochs, strict=True)
                if name in self.best_member_weights}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "optimizer_states" not in checkpoint:  # best.ckpt holds weights only
            return
        checkpoint[_CHECKPOINT_KEY] = {"losses": list(self.best_member_losses), "epochs": list(self.best_member_epochs),
                                       "weights": self.best_member_weights}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(_CHECKPOINT_KEY)
        if saved is None:
            return
        self.best_member_losses = [float(v) for v in saved["losses"]]
        self.best_member_epochs = [int(v) for v in saved["epochs"]]
        self.best_member_weights = {name: dict(state) for name, state in saved["weights"].items()}

"""Training a forecaster that shrinks toward persistence: the LightningModule and the factor.

A :class:`~shendu.models.series.ChangeForecaster` trains its unshrunk change (every training and
validation step reads ``last + change``, so the loss, ``val_loss`` and the choice of the best
epoch are the network's own). After each validation epoch the shrinkage factor is fitted on that
epoch's validation forecasts and stored in the model's ``shrinkage`` buffer, before Lightning
writes the epoch's checkpoints: ``best.ckpt`` holds the factor fitted for its own weights, and a
resumed run continues with it. Models without a ``shrinkage`` buffer, and runs with
``--set shrink=false``, train as plain regressors (the buffer keeps its 1).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchmetrics import MetricCollection

from shendu.train.config import TrainConfig
from shendu.train.module import SupervisedModule


def shrinkage_factor(change: torch.Tensor, actual: torch.Tensor) -> float:
    """The ``k`` in ``[0, 1]`` that minimises ``sum((actual - k * change)^2)``: the least-squares
    slope ``<change, actual> / <change, change>``, clipped to ``[0, 1]`` (the loss is a parabola in
    ``k``, so the clipped slope is the minimum over the interval). ``0`` (persistence) when the
    model forecasts no change at all.

    Args:
        change: forecast changes from the last value, any shape.
        actual: the true changes, the same shape.
    """
    return _factor(float((change * actual).sum()), float((change * change).sum()))


def _factor(cross: float, square: float) -> float:
    return 0.0 if square <= 0 else min(max(cross / square, 0.0), 1.0)


class ForecastModule(SupervisedModule):
    """:class:`SupervisedModule` for forecasters; fits a ChangeForecaster's shrinkage on the
    validation split after every validation epoch (logged as ``val_shrinkage``)."""

    def __init__(self, model: nn.Module, loss_fn: nn.Module, metrics: MetricCollection, config: TrainConfig,
                 steps_per_epoch: int) -> None:
        super().__init__(model, loss_fn, metrics, config, steps_per_epoch)
        self.shrinks = isinstance(getattr(model, "shrinkage", None), torch.Tensor) and getattr(config, "shrink", True)
        self._sums: list[torch.Tensor] | None = None  # [<change, actual>, <change, change>] over this epoch

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.shrinks:
            return super().predictions_and_loss(inputs, targets)
        last = inputs[:, -1, :1]  # (B, 1)
        change = self.model.change(inputs)  # (B, horizon)
        if self._sums is not None:
            actual = (targets - last).detach()
            self._sums[0] += (change.detach() * actual).sum()
            self._sums[1] += (change.detach() ** 2).sum()
        predictions = last + change
        return predictions, self.loss_fn(predictions, targets)

    def on_validation_epoch_start(self) -> None:
        super().on_validation_epoch_start()
        if self.shrinks:
            self._sums = [torch.zeros((), dtype=torch.float64, device=self.device) for _ in range(2)]

    def on_validation_epoch_end(self) -> None:
        if self._sums is None:
            return
        sums = torch.stack(self._sums)
        self._sums = None
        sums = self.trainer.strategy.reduce(sums, reduce_op="sum")  # every device's validation windows
        factor = _factor(float(sums[0]), float(sums[1]))
        self.model.shrinkage.fill_(factor)
        self.log("val_shrinkage", factor, on_step=False, on_epoch=True)

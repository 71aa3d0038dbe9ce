"""What every shendu LightningModule shares: the divergence guard and resumable epoch logging.

Divergence guard (``--set on_nonfinite=stop|skip``): a loss or a gradient that is NaN or
infinite either stops the run at that step with :class:`DivergenceError` (``stop``, the
default: nothing after it is trained on, and no weights are written as a result), or drops the
step (``skip``: no optimizer update; ``skipped_steps`` counts them into metrics.json and the
report).

Epoch logging: the epoch-mean Metric objects are logged once per epoch, on the first step
*this process* runs in it (step 0, or the first step after a mid-epoch resume), and the
training means are persistent state, so a resumed epoch's mean covers its steps before the
stop too.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from shendu.errors import ShenduError

NONFINITE_CHOICES = ("stop", "skip")


class DivergenceError(ShenduError):
    """A non-finite loss, gradient or weight stopped training."""


def divergence_message(
    what: str, epoch: int, step: int, batch: int, lr: float, can_skip: bool = True
) -> str:
    """The one paragraph a diverged run prints: where, the likely causes, what to change."""
    skip = (
        "; `--set on_nonfinite=skip` drops such steps instead and counts them in the report"
        if can_skip
        else ""
    )
    return (
        f"training diverged at epoch {epoch}, step {step} (batch {batch} of the epoch): the {what} is not finite "
        f"(NaN or infinity). Likely causes: a learning rate too high for this model (--lr {lr:g}: try "
        f"--lr {lr / 10:g}), NaN or infinite values in the data, or no gradient clipping (--set "
        f"gradient_clip_val=1.0). No weights were written as a result{skip}."
    )


class BaseModule(L.LightningModule):
    """A LightningModule with the divergence guard and once-per-epoch logging.

    Subclasses call :meth:`guard` on the training loss they return, :meth:`first_in_epoch`
    before logging Metric objects, and :meth:`keep_across_resume` on their training means.
    Their ``config`` must have ``on_nonfinite`` and ``lr``.
    """

    config: Any

    def __init__(self) -> None:
        super().__init__()
        self.skipped_steps = 0
        self._logged: set[str] = set()
        self._kept: list[Any] = []

    # -- logging --------------------------------------------------------------------------

    def first_in_epoch(self, stage: str) -> bool:
        """True once per epoch and stage: the first step this process runs in it."""
        if stage in self._logged:
            return False
        self._logged.add(stage)
        return True

    def keep_across_resume(self, *metrics: Any) -> None:
        """Save these metrics' running state in checkpoints (a mid-epoch resume keeps the epoch's sums)."""
        for metric in metrics:
            metric.persistent(True)
        self._kept += metrics

    def on_train_epoch_start(self) -> None:
        # not called when a run resumes inside an epoch (its sums so far come from the checkpoint);
        # a checkpoint from an epoch's end holds that epoch's sums, which the new epoch must not add to
        self._logged.discard("train")
        for metric in self._kept:
            metric.reset()

    def on_validation_epoch_start(self) -> None:
        self._logged.discard("val")

    def on_test_epoch_start(self) -> None:
        self._logged.discard("test")

    # -- the divergence guard ---------------------------------------------------------------

    def guard(self, loss: torch.Tensor, batch_idx: int) -> torch.Tensor | None:
        """``loss``, or ``None`` (Lightning then skips the step) when it is not finite and
        ``on_nonfinite`` is ``skip``; raise :class:`DivergenceError` when it is ``stop``."""
        if bool(torch.isfinite(loss.detach()).all()):
            return loss
        return self._nonfinite("loss", batch_idx)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        grads = [
            p.grad
            for group in optimizer.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        if not grads or bool(torch.isfinite(torch.stack(torch._foreach_norm(grads))).all()):
            return
        self._nonfinite(
            "gradient", self.trainer.fit_loop.epoch_loop.batch_progress.current.ready - 1
        )
        optimizer.zero_grad(set_to_none=True)  # skip: parameters without a gradient are not updated

    def _nonfinite(self, what: str, batch_idx: int) -> None:
        if getattr(self.config, "on_nonfinite", "stop") == "skip":
            self.skipped_steps += 1
            return None
        raise DivergenceError(
            divergence_message(
                what,
                self.current_epoch + 1,
                self.global_step + 1,
                batch_idx + 1,
                float(self.config.lr),
            )
        )

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["skipped_steps"] = self.skipped_steps

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.skipped_steps = int(checkpoint.get("skipped_steps", 0))


__all__ = ["NONFINITE_CHOICES", "BaseModule", "DivergenceError", "divergence_message"]

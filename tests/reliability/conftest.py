"""Fixtures of the reliability tests: signals raised inside the training loop at a chosen step."""

from __future__ import annotations

import signal

import lightning as L
import pytest

from shendu.train import fit as fit_module


class SignalAt(L.Callback):
    """Send ``signum`` to this process at the end of global step ``step`` (1-based), or during
    validation of epoch ``during_val_of``."""

    def __init__(
        self, signum: int, step: int | None = None, during_val_of: int | None = None
    ) -> None:
        self.signum, self.step, self.during_val_of = signum, step, during_val_of

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self.step is not None and trainer.global_step == self.step:
            signal.raise_signal(self.signum)

    def on_validation_batch_end(
        self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0
    ):
        if (
            self.during_val_of is not None
            and trainer.current_epoch + 1 == self.during_val_of
            and batch_idx == 0
        ):
            signal.raise_signal(self.signum)


@pytest.fixture
def signal_at(monkeypatch):
    """``signal_at(signum, step=...)``: the next `shendu train` in this process gets the signal there
    (arming again replaces the previous signal)."""
    original = fit_module.build_trainer

    def arm(signum: int, **where: int) -> None:
        def build(*args, **kwargs):
            trainer = original(*args, **kwargs)
            trainer.callbacks.insert(0, SignalAt(signum, **where))
            return trainer

        monkeypatch.setattr(fit_module, "build_trainer", build)

    return arm

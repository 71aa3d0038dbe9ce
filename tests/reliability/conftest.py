"""Fixtures of the reliability tests: signals raised inside the training loop at a chosen step,
and a small MNIST folder."""

from __future__ import annotations

import signal
from pathlib import Path

import lightning as L
import pytest

from shendu.train import fit as fit_module
from tests.conftest import write_idx


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


@pytest.fixture(scope="module")
def small_idx(tmp_path_factory, mnist_sample) -> Path:
    """A torchvision-layout MNIST folder of 330 real training digits (30 validate) and 60 test ones."""
    images, labels = mnist_sample
    raw = tmp_path_factory.mktemp("mnist-small") / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", images[:330])
    write_idx(raw / "train-labels-idx1-ubyte", labels[:330])
    write_idx(raw / "t10k-images-idx3-ubyte", images[330:390])
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[330:390])
    return raw.parent.parent

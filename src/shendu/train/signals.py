"""Stop training cleanly on SIGTERM or SIGINT: finish the step, checkpoint, say how to resume.

A scheduler's preemption, a shell's ``kill`` or Ctrl-C would otherwise end a run with
nothing saved since the last epoch. :class:`GracefulStop` catches both signals while the
training loop runs. The step in progress finishes, ``checkpoints/last.ckpt`` is written
(atomically, with the position in the epoch and the random generators: :mod:`shendu.train.resume`),
and :class:`TrainingInterrupted` ends the fit; the CLI prints the resume command and exits
with :data:`shendu.errors.EXIT_INTERRUPTED` (75). A second Ctrl-C stops at once (the last checkpoint stays).
A signal that comes during validation takes effect after the epoch's own checkpoint.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import lightning as L

from shendu.errors import EXIT_INTERRUPTED, TrainingInterrupted

log = logging.getLogger(__name__)


class GracefulStop(L.Callback):
    """Turn SIGTERM/SIGINT during ``trainer.fit`` into a checkpoint and :class:`TrainingInterrupted`.

    Args:
        checkpoint: where to write the checkpoint (the run's ``checkpoints/last.ckpt``).
    """

    def __init__(self, checkpoint: Path) -> None:
        self.checkpoint = Path(checkpoint)
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    # -- the handlers, installed for the training loop only -------------------------------

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # after Lightning's own SIGTERM handler (which would stop without a checkpoint and exit 0)
        if threading.current_thread() is not threading.main_thread() or not trainer.is_global_zero:
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore()

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.requested is not None and signum == signal.SIGINT:
            self._restore()  # the second Ctrl-C: stop now (Lightning would turn KeyboardInterrupt into exit 1)
            last = self.checkpoint if self.checkpoint.is_file() else None
            raise TrainingInterrupted("SIGINT", last, 0, 0, immediate=True)
        self.requested = name
        log.warning(
            "%s received: stopping after this step and writing a checkpoint (Ctrl-C again stops at once)",
            name,
        )

    # -- where training may stop ------------------------------------------------------------

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.requested is None:
            return
        if batch_idx + 1 >= trainer.num_training_batches:
            return  # the epoch's last step: validation and the epoch's checkpoint come first
        trainer.save_checkpoint(self.checkpoint)
        raise TrainingInterrupted(
            self.requested, self.checkpoint, trainer.current_epoch + 1, trainer.global_step
        )

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # the previous epoch ended with its checkpoint written (ModelCheckpoint runs last)
        if self.requested is not None:
            raise TrainingInterrupted(
                self.requested, self.checkpoint, trainer.current_epoch, trainer.global_step
            )


__all__ = ["EXIT_INTERRUPTED", "GracefulStop", "TrainingInterrupted"]

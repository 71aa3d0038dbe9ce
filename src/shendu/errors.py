"""User-facing errors.

Anything a user can cause (a bad name, a missing file, a corrupt checkpoint) raises a
:class:`ShenduError` whose message says what was expected, what was received and how to
fix it. The CLI prints it as one paragraph and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from pathlib import Path


class ShenduError(Exception):
    """An error caused by user input; its message is meant to be read by a person."""


class DataError(ShenduError, ValueError):
    """A data file or folder is missing or not in the expected format."""


class RunFolderError(ShenduError):
    """A run folder is missing a file, or a file in it is corrupt."""


class InputError(ShenduError, ValueError):
    """An input given to predict/evaluate is not what the model takes."""


EXIT_INTERRUPTED = 75
"""`shendu train`'s exit status when SIGTERM or SIGINT stopped it after writing a checkpoint
(``EX_TEMPFAIL`` of sysexits.h: a temporary failure, try again, here with ``--resume``). A
second Ctrl-C, which stops at once without a new checkpoint, exits 130 as shells expect."""


class TrainingInterrupted(Exception):
    """Training stopped on a signal (:mod:`shendu.train.signals`).

    Attributes:
        signal_name: ``"SIGTERM"`` or ``"SIGINT"``.
        checkpoint: the checkpoint ``--resume`` continues from (``None``: none was written yet).
        epoch, step: where it stopped (1-based epoch, optimizer steps done in total).
        immediate: a second Ctrl-C stopped it at once: ``checkpoint`` is the last one written
            before, if any, not one of this step.
    """

    def __init__(self, signal_name: str, checkpoint: Path | None, epoch: int, step: int,
                 immediate: bool = False) -> None:
        where = "at once" if immediate else f"at epoch {epoch}, step {step}"
        super().__init__(f"stopped by {signal_name} {where}; checkpoint {checkpoint}")
        self.signal_name = signal_name
        self.checkpoint = checkpoint
        self.epoch = epoch
        self.step = step
        self.immediate = immediate
        self.resume_command: str | None = None  # set by a caller that knows better than the run folder

    @property
    def exit_code(self) -> int:
        return 130 if self.immediate else EXIT_INTERRUPTED

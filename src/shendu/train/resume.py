"""Exact resume: what a checkpoint needs besides Lightning's own state.

Lightning's checkpoint holds the model, optimizer, scheduler, loop counters and callback
states. For a resumed run to continue *as if never stopped* it also needs:

- the random generators (Python, NumPy, torch): dropout draws from torch's global one;
- where the epoch was: the epoch and the batches it had finished, so the sampler
  (:mod:`shendu.data.sampling`) starts the same epoch order after them.

:class:`ResumeState` keeps both in the checkpoint (as a callback state, so they are saved at
every checkpoint) and puts them back when training starts again.
"""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    """The Python, NumPy and torch CPU generator states, as plain lists and tensors (the
    checkpoint is read with ``weights_only=True``, which takes no NumPy arrays)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(internal), gauss],
        "numpy": [
            name,
            torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            int(pos),
            int(has_gauss),
            float(cached),
        ],
        "torch": torch.get_rng_state(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(
        (str(name), keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached))
    )
    torch.set_rng_state(state["torch"])


class ResumeState(L.Callback):
    """Save the generators and the position in the epoch with every checkpoint; restore them
    when a run resumes.

    Args:
        sampler: the training loader's epoch-aware sampler (see
            :func:`shendu.data.sampling.epoch_sampler`); ``None`` keeps only the generators.
        batch_size: the training batch size (the sampler skips finished batches).
    """

    def __init__(self, sampler: Any, batch_size: int) -> None:
        self.sampler = sampler
        self.batch_size = batch_size
        self.epoch = 0
        self.batches = 0
        self._restore: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batches": self.batches, "rng": rng_state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restore = state_dict

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # the last hook before the first step: nothing after it draws from the generators
        if self._restore is None:
            return
        state, self._restore = self._restore, None
        self.epoch, self.batches = int(state["epoch"]), int(state["batches"])
        if self.sampler is not None:
            self.sampler.set_epoch(trainer.current_epoch)
            if trainer.current_epoch == self.epoch:  # stopped inside this epoch
                self.sampler.resume_at(self.epoch, self.batches, self.batch_size)
        set_rng_state(state["rng"])

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epoch, self.batches = trainer.current_epoch, 0
        if self.sampler is not None:  # Lightning sets it too, but not through a DDP sampler wrapper
            self.sampler.set_epoch(trainer.current_epoch)

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        self.batches = batch_idx + 1


__all__ = ["ResumeState", "rng_state", "set_rng_state"]

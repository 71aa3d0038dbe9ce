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

import json
import random
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch

from shendu.errors import RunFolderError

RUNTIME_SETTINGS = frozenset({"progress", "devices", "num_nodes", "num_workers", "accelerator"})
"""Settings a resumed run may change: where and how it runs, not what it computes."""


def rng_state() -> dict[str, Any]:
    """The Python, NumPy, torch CPU (and CUDA, once used) generator states, as plain lists and
    tensors (the checkpoint is read with ``weights_only=True``, which takes no NumPy arrays)."""
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
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(
        (str(name), keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached))
    )
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


class ResumeState(L.Callback):
    """Save the generators and the position in the epoch with every checkpoint; restore them
    when a run resumes.

    Args:
        sampler: the training loader's epoch-aware sampler (see
            :func:`shendu.data.sampling.epoch_sampler`); ``None`` keeps only the generators.
        batch_size: the training batch size (the sampler skips finished batches).
        config: the run's config.json content, kept in the checkpoint so that ``--resume`` can
            tell when it was edited (:func:`check_resume`).
    """

    def __init__(self, sampler: Any, batch_size: int, config: dict[str, Any] | None = None) -> None:
        self.sampler = sampler
        self.batch_size = batch_size
        self.config = json.dumps(config or {}, sort_keys=True)
        self.epoch = 0
        self.batches = 0
        self._restore: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "batches": self.batches,
            "rng": rng_state(),
            "config": self.config,
        }

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


def check_resume(path: Path, config: dict[str, Any], model: torch.nn.Module) -> None:
    """Raise RunFolderError, before anything is written, when ``--resume`` cannot continue
    from checkpoint ``path``: it is corrupt, it was made with other settings than ``config``
    (config.json edited, or an option given now), or its weights do not fit ``model``."""
    from shendu.train.checkpoint_io import load_checkpoint

    checkpoint = load_checkpoint(path)
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        raise RunFolderError(
            f"checkpoint {path} is not a shendu training checkpoint (no state_dict). "
            "Delete it and train again."
        )
    states = [v for k, v in (checkpoint.get("callbacks") or {}).items() if "ResumeState" in str(k)]
    saved = states[0].get("config") if states and isinstance(states[0], dict) else None
    if isinstance(saved, str) and saved != "{}":
        before = json.loads(saved).get("config", {})
        now = config.get("config", {})
        # a setting only one side knows came or went with a shendu version, not with an edit
        changed = [
            f"{key} {before[key]!r} -> {now[key]!r}"
            for key in sorted(set(before) & set(now))
            if key not in RUNTIME_SETTINGS and before[key] != now[key]
        ]
        if changed:
            raise RunFolderError(
                f"--resume continues a run with the settings it started with, but config.json or the options "
                f"given now differ from those of {path}: {'; '.join(changed[:6])}. Restore config.json and drop "
                "those options, or train a new run with the new settings."
            )
    weights = {
        k.removeprefix("model."): v
        for k, v in checkpoint["state_dict"].items()
        if k.startswith("model.")
    }
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [
        f"{k}: {tuple(weights[k].shape)} in the checkpoint, {tuple(expected[k].shape)} in the model"
        for k in expected
        if k in weights and tuple(weights[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or wrong:
        detail = "; ".join(
            [
                *wrong[:3],
                *(f"missing {k}" for k in missing[:3]),
                *(f"unexpected {k}" for k in unexpected[:3]),
            ]
        )
        raise RunFolderError(
            f"checkpoint {path} does not fit the model that config.json describes ({detail}). config.json was "
            "probably edited after the checkpoint was written: restore it, or train a new run."
        )


__all__ = ["RUNTIME_SETTINGS", "ResumeState", "check_resume", "rng_state", "set_rng_state"]

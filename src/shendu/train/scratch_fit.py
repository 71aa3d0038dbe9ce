"""Train a task with the from-scratch NumPy engine (``--engine scratch``).

The loop is the one the documents write by hand — forward, loss, backward, step — over
the same training DataLoader as the torch engine (same split, augmentation and shuffling
seed; for texts the same collate and length-bucketed batches of padded ids), so the two
engines are compared on equal terms. The run folder is the same too: weights are
saved with torch's key names, so the torch model loads a scratch run (and `evaluate`,
`predict` and `serve` work unchanged).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from rich.progress import Progress
from torch.utils.data import DataLoader

from shendu import scratch
from shendu.data.sampling import set_loader_epoch
from shendu.errors import ShenduError
from shendu.models import build_model, factory_path
from shendu.runfolder import CONFIG, ENV, HISTORY, RunFolder, atomic_write_bytes
from shendu.scratch import functional as SF
from shendu.scratch import optim as scratch_optim
from shendu.train.base_module import DivergenceError, divergence_message
from shendu.train.callbacks import history_to_csv
from shendu.train.env import collect_env
from shendu.train.finish import FitResult, finish_run
from shendu.train.fit import make_loaders
from shendu.train.optimizers import create_optimizer, create_scheduler
from shendu.train.task import TrainingTask

log = logging.getLogger(__name__)


def _as_scratch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[scratch.Tensor, np.ndarray]:
    inputs, targets = batch
    return scratch.Tensor(inputs.numpy()), targets.numpy()


def run_epoch(model: Any, loader: Any, optimizer: Any = None, scheduler: Any = None,
              clip: float = 0.0, progress: Any = None, epoch: int = 1, lr: float = 0.0,
              label_smoothing: float = 0.0) -> tuple[float, float]:
    """One pass over ``loader``; trains when ``optimizer`` is given. Returns (loss, accuracy).
    The loss is cross-entropy, with the task's ``label_smoothing`` (the torch engine's
    ``nn.CrossEntropyLoss(label_smoothing=...)``).

    Training stops with :class:`DivergenceError` at the first step whose loss is not finite
    (``epoch`` and ``lr`` go into its message), before that step updates anything.
    """
    training = optimizer is not None
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    with scratch.set_grad_enabled(training):
        for batch_idx, batch in enumerate(loader):
            inputs, targets = _as_scratch(batch)
            logits = model(inputs)
            loss = SF.cross_entropy(logits, targets, label_smoothing=label_smoothing)
            if training and not math.isfinite(float(loss.item())):
                step = (epoch - 1) * len(loader) + batch_idx + 1
                raise DivergenceError(divergence_message("loss", epoch, step, batch_idx + 1, lr, can_skip=False))
            if training:
                optimizer.zero_grad()
                loss.backward()
                if clip > 0:
                    scratch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
            n = len(targets)
            total_loss += float(loss.item()) * n
            correct += int((logits.data.argmax(axis=1) == targets).sum())
            seen += n
            if progress is not None:
                progress()
    return total_loss / max(seen, 1), correct / max(seen, 1)


def fit_scratch(task: TrainingTask, run: RunFolder, resume: bool = False) -> FitResult:
    """Train ``task`` with the scratch engine into ``run`` (see :func:`shendu.train.fit`)."""
    if task.scratch_factory is None:
        raise ShenduError(f"recipe {task.recipe} has no scratch-engine model; use --engine torch.")
    if resume:
        raise ShenduError(f"--resume is available for torch-engine runs; {run.path} was trained with "
                          "--engine scratch. Train it again.")
    cfg = task.config
    cfg.validate()
    scratch.manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # the DataLoaders' augmentation draws from torch's generator
    env = collect_env(task.data)
    run.write_json(CONFIG, task.recipe_config)
    run.write_json(ENV, env)

    model = task.scratch_factory(**task.model_kwargs)
    train_loader, val_loader = make_loaders(task)
    if getattr(task.data.val, "lengths", None) is not None:  # texts: batches of similar length, less padding
        val_loader = eval_loader(task.data.val, cfg.batch_size)
    optimizer = create_optimizer(scratch_optim, list(model.parameters()), cfg)
    scheduler, when = create_scheduler(scratch_optim, optimizer, cfg, len(train_loader))
    smoothing = float(getattr(task.loss_fn, "label_smoothing", 0.0))  # what the torch engine's loss would smooth
    history: list[dict[str, Any]] = []
    best_loss, best_state, best_epoch, bad_epochs = float("inf"), None, 0, 0
    started = time.perf_counter()
    with Progress(disable=not cfg.progress, transient=True) as bar:
        job = bar.add_task("epoch", total=len(train_loader))
        for epoch in range(1, cfg.epochs + 1):
            bar.update(job, completed=0, description=f"epoch {epoch}/{cfg.epochs}")
            set_loader_epoch(train_loader, epoch - 1)
            epoch_start = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            train_loss, train_acc = run_epoch(model, train_loader, optimizer, scheduler if when == "step" else None,
                                              clip=cfg.gradient_clip_val, progress=lambda: bar.advance(job),
                                              epoch=epoch, lr=cfg.lr, label_smoothing=smoothing)
            val_loss, val_acc = run_epoch(model, val_loader, label_smoothing=smoothing)
            if when == "epoch" and scheduler is not None:
                scheduler.step()
            elif when == "val_loss":
                scheduler.step(val_loss)
            history.append({"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "val_loss": val_loss,
                            "val_acc": val_acc, "lr": lr, "seconds": round(time.perf_counter() - epoch_start, 4)})
            atomic_write_bytes(run.file(HISTORY), history_to_csv(history).encode())
            _save_state(run, "last.safetensors", model.state_dict())
            if val_loss < best_loss:
                best_loss, best_state, best_epoch, bad_epochs = val_loss, model.state_dict(), epoch, 0
                _save_state(run, "best.safetensors", best_state)
            else:
                bad_epochs += 1
                if 0 < cfg.early_stopping_patience <= bad_epochs:
                    log.info("early stopping at epoch %d: val loss has not improved for %d epochs", epoch, bad_epochs)
                    break
    wall = time.perf_counter() - started

    state = best_state if cfg.restore_best and best_state is not None else model.state_dict()
    weights_epoch = best_epoch if cfg.restore_best and best_state is not None else len(history)
    model.load_state_dict(state)
    scratch_metrics = _scratch_test(model, task)
    torch_model = build_model(factory_path(task.factory), task.model_kwargs)
    torch_model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=True)
    metrics = finish_run(task, run, torch_model, history, env, weights_epoch=weights_epoch, wall_seconds=wall,
                         extra_metrics={"engine": "scratch", **scratch_metrics})
    return FitResult(run, metrics, history)


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Every index once, in batches of ``batch_size`` texts of similar length (shortest first)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


def eval_loader(dataset: Any, batch_size: int) -> DataLoader:
    """An evaluation loader over ``dataset``, with its ``collate_fn`` if it has one.

    Texts (datasets with ``lengths``) come in batches of similar length: padding costs the
    scratch engine as much as real tokens (its LSTM steps over every position), and the text
    models read each review within its length, so the logits, loss and accuracy do not depend
    on the batches a review is in.
    """
    collate = getattr(dataset, "collate_fn", None)
    lengths = getattr(dataset, "lengths", None)
    if lengths is None:
        return DataLoader(dataset, batch_size=batch_size, collate_fn=collate)
    return DataLoader(dataset, batch_sampler=length_batches(lengths, batch_size), collate_fn=collate)


def _scratch_test(model: Any, task: TrainingTask) -> dict[str, float]:
    """Test accuracy computed by the scratch engine itself (metrics.json's test_acc is torch's)."""
    loss, acc = run_epoch(model, eval_loader(task.data.test, 256))
    return {"scratch_test_acc": acc, "scratch_test_loss": loss}


def _save_state(run: RunFolder, name: str, state: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save

    arrays = {k: np.ascontiguousarray(v) for k, v in state.items()}
    atomic_write_bytes(run.checkpoints / name, save(arrays, metadata={"engine": "scratch"}))

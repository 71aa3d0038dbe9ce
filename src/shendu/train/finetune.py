"""A short plain-torch training loop for a model that already learned its task: a few more
epochs on the recipe's own training data at a low, constant rate (after pruning, say). No
Lightning trainer, no run folder, no validation: the caller tests the result."""

from __future__ import annotations

from dataclasses import replace

import lightning as L
from torch import nn

from shendu.data.sampling import set_loader_epoch
from shendu.errors import ShenduError
from shendu.train.fit import make_loaders
from shendu.train.module import build_optimizer
from shendu.train.task import TrainingTask

# kinds whose training step is ``loss_fn(model(inputs), targets)`` (the SupervisedModule's);
# detection, speech and multimodal runs train through losses of their own
FINETUNE_KINDS = ("classification", "forecast")


def check_finetune_kind(task: TrainingTask) -> None:
    """Raise ShenduError unless ``task`` trains as ``loss_fn(model(inputs), targets)``."""
    if task.kind not in FINETUNE_KINDS:
        raise ShenduError(f"fine-tuning takes {' and '.join(FINETUNE_KINDS)} runs; {task.recipe} trains a {task.kind} "
                          "model with a loss of its own. Leave out --finetune-epochs.")


def finetune(model: nn.Module, task: TrainingTask, epochs: int, lr: float) -> list[float]:
    """Train ``model`` in place for ``epochs`` passes over ``task``'s training split with the
    recipe's optimizer at the constant rate ``lr`` (no schedule), then put it in eval mode.

    Whatever hooks the model carries stay active: ``torch.nn.utils.prune`` masks keep pruned
    weights at zero, since their gradient through the mask is zero. Seeded with
    ``task.config.seed`` (shuffling, augmentation, dropout), so a run repeats.

    Args:
        model: the model to train (on the CPU, in float32).
        task: the recipe's task: training split, batch size, optimizer, loss, seed.
        epochs: passes over the training split (0 trains nothing).
        lr: the learning rate.

    Returns:
        The mean training loss of each epoch.
    """
    check_finetune_kind(task)
    config = replace(task.config, lr=lr)
    L.seed_everything(config.seed, workers=True, verbose=False)
    loader, _ = make_loaders(task)
    optimizer = build_optimizer([p for p in model.parameters() if p.requires_grad], config)
    losses: list[float] = []
    model.train()
    for epoch in range(epochs):
        set_loader_epoch(loader, epoch)
        total, seen = 0.0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = task.loss_fn(model(inputs), targets)
            loss.backward()
            if config.gradient_clip_val:
                nn.utils.clip_grad_norm_(model.parameters(), config.gradient_clip_val)
            optimizer.step()
            total += float(loss.detach()) * len(targets)
            seen += len(targets)
        losses.append(total / max(seen, 1))
    model.eval()
    return losses


__all__ = ["FINETUNE_KINDS", "check_finetune_kind", "finetune"]

"""The ``--optimizer`` and ``--scheduler`` choices, as one table for both engines.

Each name maps to a class by its ``torch.optim`` name (``SGD``, ``lr_scheduler.StepLR``) and
the options it gets; :func:`create_optimizer` and :func:`create_scheduler` resolve it in
``torch.optim`` (the torch engine) or ``shendu.scratch.optim`` (the scratch engine, whose
classes have torch's names and arguments). No torch import here: ``shendu.train.config``
takes its lists of names from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shendu.train.config import TrainConfig


@dataclass(frozen=True)
class OptimizerChoice:
    """``cls(params, lr=config.lr, weight_decay=config.weight_decay, **options)``."""

    cls: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SchedulerChoice:
    """``lr_scheduler.<cls>(optimizer, **options(config, steps_per_epoch))``, stepped on ``steps_on``:
    ``"step"`` (after every optimizer step), ``"epoch"`` (after every epoch) or ``"val_loss"``
    (after every epoch, given the validation loss)."""

    cls: str
    options: Callable[[TrainConfig, int], dict[str, Any]]
    steps_on: str


# The documents' optimizers: SGD, SGD with momentum, RMSProp, Adam, AdamW.
OPTIMIZER_CHOICES: dict[str, OptimizerChoice] = {
    "sgd": OptimizerChoice("SGD"),
    "momentum": OptimizerChoice("SGD", {"momentum": 0.9}),
    "rmsprop": OptimizerChoice("RMSprop"),
    "adam": OptimizerChoice("Adam"),
    "adamw": OptimizerChoice("AdamW"),
}

SCHEDULER_CHOICES: dict[str, SchedulerChoice | None] = {
    "none": None,
    "plateau": SchedulerChoice(
        "ReduceLROnPlateau",
        lambda config, steps_per_epoch: {"mode": "min", "factor": config.plateau_factor,
                                         "patience": config.plateau_patience},
        "val_loss"),
    "onecycle": SchedulerChoice(
        "OneCycleLR",
        lambda config, steps_per_epoch: {"max_lr": config.lr, "total_steps": config.epochs * steps_per_epoch},
        "step"),
    "cosine": SchedulerChoice("CosineAnnealingLR", lambda config, steps_per_epoch: {"T_max": config.epochs}, "epoch"),
    "step": SchedulerChoice(
        "StepLR", lambda config, steps_per_epoch: {"step_size": max(1, config.epochs // 3), "gamma": 0.1}, "epoch"),
}


def create_optimizer(library: ModuleType, params: Any, config: TrainConfig) -> Any:
    """``config.optimizer`` over ``params``, from ``library``: ``torch.optim`` or ``shendu.scratch.optim``.

    Raises:
        ValueError: ``config.optimizer`` is not a key of :data:`OPTIMIZER_CHOICES`.
    """
    if config.optimizer not in OPTIMIZER_CHOICES:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; expected one of {', '.join(OPTIMIZER_CHOICES)}")
    choice = OPTIMIZER_CHOICES[config.optimizer]
    return getattr(library, choice.cls)(params, lr=config.lr, weight_decay=config.weight_decay, **choice.options)


def create_scheduler(library: ModuleType, optimizer: Any, config: TrainConfig,
                     steps_per_epoch: int) -> tuple[Any, str]:
    """``config.scheduler`` for ``optimizer``, from ``library.lr_scheduler``, and when it steps
    (see :class:`SchedulerChoice`); ``(None, "epoch")`` for ``"none"``.

    Raises:
        ValueError: ``config.scheduler`` is not a key of :data:`SCHEDULER_CHOICES`.
    """
    if config.scheduler not in SCHEDULER_CHOICES:
        raise ValueError(f"unknown scheduler {config.scheduler!r}; expected one of {', '.join(SCHEDULER_CHOICES)}")
    choice = SCHEDULER_CHOICES[config.scheduler]
    if choice is None:
        return None, "epoch"
    scheduler = getattr(library.lr_scheduler, choice.cls)(optimizer, **choice.options(config, steps_per_epoch))
    return scheduler, choice.steps_on


def lightning_scheduler(scheduler: Any, steps_on: str) -> dict[str, Any] | None:
    """Lightning's ``lr_scheduler`` config for a scheduler from :func:`create_scheduler` (None for none)."""
    if scheduler is None:
        return None
    if steps_on == "val_loss":
        return {"scheduler": scheduler, "monitor": "val_loss", "interval": "epoch"}
    return {"scheduler": scheduler, "interval": steps_on}


__all__ = ["OPTIMIZER_CHOICES", "SCHEDULER_CHOICES", "OptimizerChoice", "SchedulerChoice", "create_optimizer",
           "create_scheduler", "lightning_scheduler"]

"""cifar10-cnn: the documents' CIFAR-10 classifiers on the real CIFAR-10 python files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shendu.errors import ShenduError
from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

MODELS = {"simple": "simple_cnn", "lenet": "lenet"}  # shendu.models.cifar


@dataclass
class Cifar10CnnConfig(TrainConfig):
    """cifar10-cnn settings.

    Args:
        data: the CIFAR-10 python folder (``cifar-10-batches-py``) or its parent; required,
            since no CIFAR data ships in a package.
        download: fetch it into ``data`` first (needs a network).
        model: ``simple`` (3 conv layers, dropout 0.5) or ``lenet`` (6-16-120-84).
        augment: random crop with 4-pixel padding, horizontal flip, colour jitter.
        val_size: training images held out for validation (stratified).
        split_seed: the seed of that validation split.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 2e-3
    scheduler: str = "onecycle"
    restore_best: bool = False
    data: str | None = None
    download: bool = False
    model: str = "simple"
    augment: bool = True
    val_size: int = 5000
    split_seed: int = 0


def model_kwargs(config: Cifar10CnnConfig) -> dict[str, Any]:
    return {"num_classes": 10}


def make_task(config: Cifar10CnnConfig) -> TrainingTask:
    from shendu.data.cifar import cifar10_bundle
    from shendu.models import cifar
    from shendu.train.task import TrainingTask

    if config.model not in MODELS:
        raise ShenduError(f"--set model= must be one of {', '.join(MODELS)}; got {config.model!r}.")
    data = cifar10_bundle(config.data, download=config.download, augment=config.augment,
                          val_size=config.val_size, split_seed=config.split_seed)
    return TrainingTask(
        recipe=RECIPE.name,
        title=f"CIFAR-10 with the documents' {'SimpleCNN' if config.model == 'simple' else 'LeNet-style CNN'}",
        factory=getattr(cifar, MODELS[config.model]),
        model_kwargs=model_kwargs(config),
        data=data,
        config=config,
        recipe_config=recipe_config_json(RECIPE, config),
        notes=["Augmentation (training only): random crop of 32 with 4-pixel padding, horizontal "
               "flip, brightness/contrast jitter 0.2 — the transforms the documents name."],
    )


RECIPE = Recipe(
    name="cifar10-cnn",
    summary="CIFAR-10 with the documents' SimpleCNN (or --set model=lenet), with augmentation",
    data="none ships: --data DIR with the CIFAR-10 python folder (--download when online)",
    config_cls=Cifar10CnnConfig,
    factory="shendu.models.cifar:simple_cnn",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=None,
    parameters=1_147_466,
)

"""digits-mlp: the documents' two-layer backprop network on scikit-learn's 8x8 digits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_acc", 0.97)


@dataclass
class DigitsMlpConfig(TrainConfig):
    """digits-mlp settings.

    Args:
        hidden: hidden units of the two-layer network.
        activation: ``tanh`` (the documents' choice), ``relu`` or ``sigmoid``.
        split_seed: the seed of the fixed train/val/test split.
    """

    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    scheduler: str = "cosine"
    restore_best: bool = False
    hidden: int = 64
    activation: str = "tanh"
    split_seed: int = 0


def model_kwargs(config: DigitsMlpConfig) -> dict[str, Any]:
    return {"hidden": config.hidden, "activation": config.activation, "num_classes": 10, "in_features": 64}


def make_task(config: DigitsMlpConfig) -> TrainingTask:
    from shendu.data.digits import digits_bundle
    from shendu.models.mlp import digits_mlp
    from shendu.scratch import zoo
    from shendu.train.task import TrainingTask

    return TrainingTask(
        recipe=RECIPE.name,
        title="8x8 digits with the documents' two-layer network",
        factory=digits_mlp,
        model_kwargs=model_kwargs(config),
        data=digits_bundle(split_seed=config.split_seed),
        config=config,
        recipe_config=recipe_config_json(RECIPE, config),
        scratch_factory=zoo.digits_mlp,
        target=TARGET,
        notes=["The network is the documents' SimpleNeuralNetwork (Linear -> tanh -> Linear), "
               "trained with softmax cross-entropy and backpropagation by torch autograd."],
    )


RECIPE = Recipe(
    name="digits-mlp",
    summary="8x8 digits with the documents' two-layer backprop network",
    data="scikit-learn digits: 1,797 8x8 images",
    config_cls=DigitsMlpConfig,
    factory="shendu.models.mlp:digits_mlp",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=4_810,
)

"""multimodal: the documents' MultiModalModel reads a digit from a damaged image and a caption
with one clue, compared in the same run with an image-only and a text-only model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_fusion_gain", 0.01)  # fused accuracy at least 1 point above the better single modality


@dataclass
class MultimodalConfig(TrainConfig):
    """multimodal settings.

    Args:
        hidden_dim: width of every encoder and of the fusion layer (the documents' hidden_dim).
        pairs_per_image: damaged versions of each image, each with its own caption.
        noise: std of the Gaussian pixel noise (pixels in [0, 1]).
        split_seed: the train/val/test split of the images and the damage and captions.
    """

    epochs: int = 60
    batch_size: int = 64
    lr: float = 2e-3
    scheduler: str = "cosine"
    restore_best: bool = False
    weight_decay: float = 1e-4
    hidden_dim: int = 128
    pairs_per_image: int = 4
    noise: float = 0.15
    split_seed: int = 0

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "hidden_dim", "pairs_per_image")
        self.require_in(0, 1, "noise")


def model_kwargs(config: MultimodalConfig, text_dim: int = 40) -> dict[str, Any]:
    return {"text_dim": text_dim, "image_dim": 64, "hidden_dim": config.hidden_dim, "num_classes": 10}


def make_task(config: MultimodalConfig) -> TrainingTask:
    from shendu.data.multimodal import multimodal_bundle
    from shendu.models.multimodal import multimodal_comparison
    from shendu.train.task import TrainingTask

    config.validate()
    data = multimodal_bundle(per_image=config.pairs_per_image, noise=config.noise, seed=config.split_seed)
    notes = ["Three models train side by side on the same batches with no shared parameter: the documents' "
             "MultiModalModel (text encoder + image encoder + fusion MLP), an image-only and a text-only model of the "
             "same shape. Their losses are summed, so each trains exactly as it would alone.",
             "Text features: a binary bag of 1- and 2-grams of the caption (scikit-learn CountVectorizer fitted on the "
             f"training captions, {data.input_spec.text_dim} features); image features: the 64 pixels."]
    return TrainingTask(
        recipe=RECIPE.name, title="Multimodal digits: damaged image + one-clue caption",
        factory=multimodal_comparison, model_kwargs=model_kwargs(config, data.input_spec.text_dim), data=data,
        config=config, recipe_config=recipe_config_json(RECIPE, config), target=TARGET, notes=notes, kind="multimodal",
    )


RECIPE = Recipe(
    name="multimodal",
    summary="The documents' MultiModalModel vs image-only and text-only models (digits + captions)",
    data="scikit-learn's 8x8 digits, half hidden and noisy, each with a caption giving one clue",
    config_cls=MultimodalConfig,
    factory="shendu.models.multimodal:multimodal_comparison",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=96_926,
)

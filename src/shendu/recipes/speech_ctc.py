"""speech-ctc: the documents' speech recogniser (acoustic MLP, 2-layer BiLSTM, log-softmax over
characters) trained with CTC on digit strings spoken by espeak-ng voices, tested on held-out voices."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.data.base import DataBundle
    from shendu.train.task import TrainingTask

TARGET = Target("test_wer", maximum=0.05)


@dataclass
class SpeechCtcConfig(TrainConfig):
    """speech-ctc settings.

    Args:
        data: your own clips: a folder of wav files with ``transcripts.tsv``/``.csv``/``.txt``;
            ``None``: spoken digits.
        val_fraction, test_fraction: the parts of ``data``'s clips drawn at random for
            validation and test.
        train_clips, val_clips, test_clips: synthesised clips per split (test and validation
            clips are spoken by voices training never hears).
        min_digits, max_digits: digits per clip.
        corpus_seed: draws the texts, voices, speeds and pitches; the corpus is cached under
            ``cache_dir`` and rebuilt only when a setting (or espeak-ng) changes.
        cache_dir: where the synthesised corpus is kept (``None``: the user cache folder).
        n_mels, stack: log-mel bands, frames stacked per step (FeatureSpec).
        mlp_dim, hidden_size, num_layers, dropout: the model.
        beam: prefix-beam width of the test decoding (greedy is reported too).
    """

    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    scheduler: str = "onecycle"
    restore_best: bool = True
    gradient_clip_val: float = 5.0
    data: str | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    train_clips: int = 3000
    val_clips: int = 300
    test_clips: int = 400
    min_digits: int = 3
    max_digits: int = 6
    corpus_seed: int = 0
    cache_dir: str | None = None
    n_mels: int = 40
    stack: int = 2
    mlp_dim: int = 256
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.2
    beam: int = 8

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "train_clips", "val_clips", "test_clips", "min_digits", "n_mels", "stack", "mlp_dim",
                              "hidden_size", "num_layers", "beam")
        if self.max_digits < self.min_digits:
            raise ValueError(f"--set max_digits= ({self.max_digits}) must be at least min_digits ({self.min_digits}).")
        self.require_in(0, 1, "dropout")


def model_kwargs(config: SpeechCtcConfig, num_classes: int = 17) -> dict[str, Any]:
    return {"input_dim": config.n_mels * config.stack, "num_classes": num_classes, "mlp_dim": config.mlp_dim,
            "hidden_size": config.hidden_size, "num_layers": config.num_layers, "dropout": config.dropout}


def speech_bundle(config: SpeechCtcConfig) -> DataBundle:
    """The recipe's clips (synthesised digits, or ``--data``) as log-mel datasets."""
    from shendu.data.speech import speech_data

    return speech_data(**speech_arguments(config), progress=config.progress)


def speech_arguments(config: SpeechCtcConfig) -> dict[str, Any]:
    """The arguments of :func:`shendu.data.speech.speech_data` (also what evaluate rebuilds the test split from)."""
    from shendu.data.speech import DigitCorpusSpec

    corpus = DigitCorpusSpec(config.train_clips, config.val_clips, config.test_clips, config.min_digits,
                             config.max_digits, seed=config.corpus_seed)
    return {"data": None if config.data is None else str(Path(config.data).resolve()),
            "val_fraction": config.val_fraction, "test_fraction": config.test_fraction, "corpus": asdict(corpus),
            "cache_dir": config.cache_dir, "n_mels": config.n_mels, "stack": config.stack, "beam": config.beam}


def make_task(config: SpeechCtcConfig) -> TrainingTask:
    from shendu.models.speech import speech_recognizer
    from shendu.train.task import TrainingTask

    config.validate()
    data = speech_bundle(config)
    notes = ["The documents' speech model: a per-frame acoustic MLP (2 x Linear+ReLU), a 2-layer bidirectional LSTM "
             "over the padded batch without packing (the backward direction reads each clip reversed within its length, "
             "so a clip's output does not depend on the padding of its batch), and a log-softmax over the characters plus CTC's blank, trained with CTC loss.",
             "Features: 40-band log-mel spectrogram (librosa; 25 ms windows every 10 ms at 16 kHz), normalised per "
             "clip, 2 frames stacked per step.",
             f"Test decoding: prefix beam search (width {config.beam}) and greedy; error rates by torchmetrics."]
    return TrainingTask(
        recipe=RECIPE.name, title="Speech recognition with CTC (acoustic MLP + BiLSTM)",
        factory=speech_recognizer, model_kwargs=model_kwargs(config, len(data.labels) + 1), data=data, config=config,
        recipe_config=recipe_config_json(RECIPE, config), target=TARGET if config.data is None else None,
        notes=notes, kind="speech",
    )


RECIPE = Recipe(
    name="speech-ctc",
    summary="Speech recognition: acoustic MLP + BiLSTM + CTC on spoken digits, held-out voices",
    data="digit strings synthesised with espeak-ng (cached); or --data folder of wavs + transcripts",
    config_cls=SpeechCtcConfig,
    factory="shendu.models.speech:speech_recognizer",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=881_425,
)

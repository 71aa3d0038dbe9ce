"""speech-ctc: the documents' speech recogniser (acoustic MLP, 2-layer BiLSTM, log-softmax over
characters) trained with CTC on digit strings spoken by espeak-ng voices, tested on held-out voices."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shendu.data.base import DataBundle
from shendu.data.speech import (
    ACCENTS,
    TEST_VARIANTS,
    TRAIN_VARIANTS,
    VAL_VARIANTS,
    DigitCorpusSpec,
    FeatureSpec,
    SpeechDataset,
    build_alphabet,
    load_transcript_folder,
    log_mel,
    read_audio,
    read_manifest,
    synthesise_digits,
)
from shendu.errors import DataError
from shendu.models.speech import speech_recognizer
from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.task import Target, TrainingTask

TARGET = Target("test_wer", maximum=0.05)


def default_cache() -> str:
    return os.environ.get("SHENDU_CACHE", str(Path.home() / ".cache" / "shendu"))


@dataclass
class SpeechCtcConfig(TrainConfig):
    """speech-ctc settings.

    Args:
        data: your own clips: a folder of wav files with ``transcripts.tsv``/``.csv``/``.txt``
            (split at random into ``val_fraction`` and ``test_fraction``); ``None``: spoken digits.
        train_clips, val_clips, test_clips: synthesised clips per split (test and validation
            clips are spoken by voices training never hears).
        min_digits, max_digits: digits per clip.
        corpus_seed: draws the texts, voices, speeds and pitches; the corpus is cached under
            ``cache_dir`` and rebuilt only when a setting (or espeak-ng) changes.
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
        for name in ("train_clips", "val_clips", "test_clips", "min_digits", "n_mels", "stack", "mlp_dim",
                     "hidden_size", "num_layers", "beam"):
            if getattr(self, name) < 1:
                raise ValueError(f"--set {name}= must be at least 1; got {getattr(self, name)}.")
        if self.max_digits < self.min_digits:
            raise ValueError(f"--set max_digits= ({self.max_digits}) must be at least min_digits ({self.min_digits}).")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"--set dropout= must be in [0, 1); got {self.dropout}.")


def model_kwargs(config: SpeechCtcConfig, num_classes: int = 17) -> dict[str, Any]:
    return {"input_dim": config.n_mels * config.stack, "num_classes": num_classes, "mlp_dim": config.mlp_dim,
            "hidden_size": config.hidden_size, "num_layers": config.num_layers, "dropout": config.dropout}


@contextmanager
def _progress(show: bool, description: str) -> Iterator[Callable[[int, int], Any] | None]:
    """A ``(done, total)`` callback drawing a rich progress bar, or ``None`` when ``show`` is off."""
    if not show:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        job = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(job, completed=done, total=total)


def _clips(config: SpeechCtcConfig) -> tuple[dict[str, list[tuple[Path, str]]], str]:
    if config.data is not None:
        pairs = load_transcript_folder(config.data)
        order = np.random.default_rng(config.corpus_seed).permutation(len(pairs))
        n_test = max(1, round(len(pairs) * config.test_fraction))
        n_val = max(1, round(len(pairs) * config.val_fraction))
        parts = {"test": order[:n_test], "val": order[n_test:n_test + n_val], "train": order[n_test + n_val:]}
        if len(parts["train"]) == 0:
            raise DataError(f"--data {config.data}: {len(pairs)} clips leave none for training.")
        return ({k: [pairs[i] for i in v] for k, v in parts.items()},
                f"wav folder {Path(config.data).resolve()} ({len(pairs)} clips, random split)")
    spec = DigitCorpusSpec(config.train_clips, config.val_clips, config.test_clips, config.min_digits,
                           config.max_digits, seed=config.corpus_seed)
    with _progress(config.progress, "espeak-ng: synthesising clips (cached afterwards)") as report:
        folder = synthesise_digits(Path(config.cache_dir or default_cache()) / "speech", spec, progress=report)
    rows = read_manifest(folder)
    clips = {split: [(folder / r["file"], r["text"]) for r in rows if r["split"] == split]
             for split in ("train", "val", "test")}
    return clips, (f"spoken digit strings synthesised with espeak-ng into {folder}: {len(ACCENTS)} accents x speaker "
                   f"variants {', '.join(TRAIN_VARIANTS)} (train), {', '.join(VAL_VARIANTS)} (validation), "
                   f"{', '.join(TEST_VARIANTS)} (test: voices training never hears)")


def speech_bundle(config: SpeechCtcConfig) -> DataBundle:
    clips, source = _clips(config)
    spec = FeatureSpec(n_mels=config.n_mels, stack=config.stack)
    # the output classes: every character of every transcript (a fixed character set, as in any
    # ASR recipe; no test *audio* is involved, and a test character training never saw stays learnable)
    alphabet = build_alphabet([t for pairs in clips.values() for _, t in pairs])
    digest = hashlib.sha256()
    datasets = {}
    for split, pairs in clips.items():
        features = []
        with _progress(config.progress, f"log-mel features ({split})") as report:
            for i, (path, text) in enumerate(pairs):
                raw = path.read_bytes()  # read once: hashed for env.json, then decoded
                digest.update(raw)
                digest.update(text.encode("utf-8"))
                features.append(log_mel(read_audio(path, spec.sample_rate, data=raw), spec))
                if report is not None:
                    report(i + 1, len(pairs))
        datasets[split] = SpeechDataset(features, [t for _, t in pairs], alphabet, beam=config.beam)
    return DataBundle(
        **datasets, labels=list(alphabet), source=source, checksum=digest.hexdigest(),
        input_spec={"kind": "audio", "features": spec.to_dict(), "alphabet": alphabet, "beam": config.beam},
    )


def make_task(config: SpeechCtcConfig) -> TrainingTask:
    config.validate()
    data = speech_bundle(config)
    notes = ["The documents' speech model: a per-frame acoustic MLP (2 x Linear+ReLU), a 2-layer bidirectional LSTM "
             "over packed sequences, and a log-softmax over the characters plus CTC's blank, trained with CTC loss.",
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
    factory=speech_recognizer,
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
)

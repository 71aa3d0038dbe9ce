"""Speech: spoken digit strings synthesised with espeak-ng, user wav folders, log-mel features.

The synthesised corpus ("three one four ...") is spoken by espeak-ng voices: every English
accent espeak-ng ships (en-gb, en-us, Scottish, Caribbean, ...) combined with its speaker
variants (m1-m8, f1-f5), at random speeds and pitches. Speakers are split, not clips: the test
clips are spoken by variants no training clip uses ("held-out voices"). The clips are cached on
disk under a key of every setting and espeak-ng's version, and the same seed gives the same
texts, voices, speeds and pitches, so the corpus is reproducible.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from shendu.data.base import DataBundle, TestSource
from shendu.data.inputs import input_file
from shendu.data.specs import AudioSpec, FeatureSpec
from shendu.errors import DataError, InputError

log = logging.getLogger(__name__)

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
TRAIN_VARIANTS = ("m1", "m2", "m3", "m5", "m6", "m8", "f1", "f2", "f4")
VAL_VARIANTS = ("m7", "f5")
TEST_VARIANTS = ("m4", "f3")
SAMPLE_RATE = 16000
MANIFEST = "manifest.csv"
TRANSCRIPT_FILES = ("transcripts.tsv", "transcripts.csv", "transcripts.txt")


def log_mel(audio: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """``(frames, n_mels * stack)`` float32 features of a mono clip at ``spec.sample_rate``."""
    import librosa

    if len(audio) < spec.n_fft:
        raise InputError(f"the clip is too short: {len(audio)} samples, less than one {spec.n_fft}-sample window "
                         f"({spec.n_fft / spec.sample_rate * 1000:.0f} ms at {spec.sample_rate} Hz).")
    mel = librosa.feature.melspectrogram(y=audio.astype(np.float32), sr=spec.sample_rate, n_fft=spec.n_fft,
                                         hop_length=spec.hop, n_mels=spec.n_mels, power=2.0)
    features = np.log(mel + 1e-6).T  # (frames, n_mels)
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-5)
    frames = len(features) // spec.stack * spec.stack
    if frames == 0:
        raise InputError(f"the clip is too short: {len(audio)} samples give no {spec.stack}-frame step "
                         f"({spec.hop * spec.stack} samples at {spec.sample_rate} Hz).")
    return features[:frames].reshape(frames // spec.stack, spec.dim).astype(np.float32)


def read_audio(path: Path | str, sample_rate: int = SAMPLE_RATE, max_seconds: float = 60.0,
               data: bytes | None = None) -> np.ndarray:
    """A wav (or any format libsndfile reads) as mono float32 at ``sample_rate``: other rates are
    resampled (librosa, soxr), channels averaged. ``data``: the
    file's bytes when the caller has read them already (``path`` then only names the clip)."""
    import io

    import soundfile

    path = Path(path) if data is not None else input_file(path, "an audio file (.wav, .flac, .ogg)")
    source = str(path) if data is None else io.BytesIO(data)
    try:
        info = soundfile.info(source)
        if info.duration > max_seconds:
            raise InputError(f"{path} lasts {info.duration:.0f} s; clips up to {max_seconds:.0f} s are read. "
                             "Cut it into shorter clips.")
        if data is not None:
            source.seek(0)  # type: ignore[union-attr]
        audio, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise InputError(f"{path} is not audio soundfile can read ({str(exc).splitlines()[0][:120]}); "
                         "pass a .wav file (PCM or float, any sample rate).") from None
    if len(audio) == 0:
        raise InputError(f"{path} holds no samples (a zero-length recording); pass a clip with speech in it.")
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and infinity are refused just below
        mono = audio.mean(axis=1, dtype=np.float64).astype(np.float32)
    if np.isfinite(mono).all():
        mono = resample(mono, rate, sample_rate)
    if not np.isfinite(mono).all():  # a float file holding NaN or infinity (or values that overflow to it)
        raise InputError(f"{path} holds samples that are not finite numbers (NaN or infinity): the file is "
                         "damaged. Pass a clean .wav file.")
    return mono


def resample(audio: np.ndarray, rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono ``audio`` at ``rate`` Hz -> float32 at ``sample_rate`` (librosa, soxr)."""
    if rate == sample_rate:
        return audio.astype(np.float32, copy=False)
    import librosa

    return librosa.resample(audio, orig_sr=rate, target_sr=sample_rate).astype(np.float32, copy=False)


# -- the synthesised corpus ------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitCorpusSpec:
    """What to synthesise: clip counts per split, digits per clip, speed (words per minute)
    and pitch (0-99) ranges, and the seed."""

    train: int = 3000
    val: int = 300
    test: int = 400
    min_digits: int = 3
    max_digits: int = 6
    speed: tuple[int, int] = (130, 210)
    pitch: tuple[int, int] = (25, 75)
    seed: int = 0


def espeak_version() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise DataError("espeak-ng is not installed: it synthesises the spoken digits. Install it with "
                        "`apt-get install espeak-ng` (`make install` does), or pass --data with your own wav folder.")
    return subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def plan_corpus(spec: DigitCorpusSpec) -> list[dict[str, Any]]:
    """The clips to synthesise: split, text, voice, speed and pitch, drawn from ``spec.seed``."""
    rng = np.random.default_rng(spec.seed)
    rows = []
    for split, count, variants in (("train", spec.train, TRAIN_VARIANTS), ("val", spec.val, VAL_VARIANTS),
                                   ("test", spec.test, TEST_VARIANTS)):
        for i in range(count):
            digits = rng.integers(0, 10, rng.integers(spec.min_digits, spec.max_digits + 1))
            voice = f"{ACCENTS[rng.integers(len(ACCENTS))]}+{variants[rng.integers(len(variants))]}"
            rows.append({"file": f"{split}/{i:05d}.wav", "split": split, "text": " ".join(DIGITS[d] for d in digits),
                         "voice": voice, "speed": int(rng.integers(spec.speed[0], spec.speed[1] + 1)),
                         "pitch": int(rng.integers(spec.pitch[0], spec.pitch[1] + 1))})
    return rows


def synthesise_digits(root: Path | str, spec: DigitCorpusSpec,
                      progress: Callable[[int, int], Any] | None = None) -> Path:
    """Synthesise (or reuse) the corpus under ``root/<key>``; returns that folder.

    The key hashes ``spec`` and the espeak-ng version; a folder is used only once its
    manifest.csv exists (written last), so an interrupted synthesis starts again cleanly.
    """
    version = espeak_version()
    key = hashlib.sha256(json.dumps({"spec": asdict(spec), "espeak": version}, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(root) / f"digits-{key}"
    if (folder / MANIFEST).is_file():
        return folder
    rows = plan_corpus(spec)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for split in ("train", "val", "test"):
        (partial / split).mkdir(parents=True)
    # one espeak-ng process per clip, a few at a time: each spends most of its ~30 ms starting up
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        for i, _ in enumerate(pool.map(lambda row: _speak(row, partial), rows)):
            if progress is not None:
                progress(i + 1, len(rows))
    with open(partial / MANIFEST, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    log.info("synthesised %d clips with %s into %s", len(rows), version, folder)
    return folder


def _speak(row: dict[str, Any], folder: Path) -> None:
    command = ["espeak-ng", "-v", row["voice"], "-s", str(row["speed"]), "-p", str(row["pitch"]),
               "-w", str(folder / row["file"]), row["text"]]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not (folder / row["file"]).is_file():
        raise DataError(f"espeak-ng failed on {' '.join(command)}: {result.stderr.strip()[:200]}")


def read_manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / MANIFEST, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- user data ---------------------------------------------------------------------------------------


def load_transcript_folder(folder: Path | str) -> list[tuple[Path, str]]:
    """A folder of audio clips with a transcript file: ``transcripts.tsv`` (``file<TAB>text``),
    ``transcripts.csv`` (columns ``file,text``) or ``transcripts.txt`` (``file text...`` per
    line). Texts are lower-cased."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"--data {folder}: no such folder; pass a folder of wav files with a transcript file.")
    found = [folder / name for name in TRANSCRIPT_FILES if (folder / name).is_file()]
    if not found:
        raise DataError(f"--data {folder} has no transcript file: expected one of {', '.join(TRANSCRIPT_FILES)} "
                        "listing each clip's file name and its text.")
    path = found[0]
    pairs = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text.") from None
    if path.suffix == ".csv":
        rows = list(csv.DictReader(lines))
        if rows and not {"file", "text"} <= set(rows[0]):
            raise DataError(f"{path} has columns {', '.join(rows[0])}; expected file,text.")
        entries = [(r["file"], r["text"]) for r in rows]
    else:
        sep = "\t" if path.suffix == ".tsv" else None
        entries = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            parts = line.split(sep, 1)
            if len(parts) != 2:
                raise DataError(f"{path} line {number} is {line[:80]!r}; expected a file name, "
                                f"{'a tab' if sep else 'a space'} and the transcript.")
            entries.append((parts[0].strip(), parts[1].strip()))
    for name, text in entries:
        clip = folder / name
        if not clip.is_file():
            raise DataError(f"{path} lists {name}, which is not in {folder}.")
        if not text.strip():
            raise DataError(f"{path}: {name} has an empty transcript.")
        pairs.append((clip, " ".join(text.lower().split())))
    if len(pairs) < 3:
        raise DataError(f"{path} lists {len(pairs)} clips; at least 3 are needed (train, validation, test).")
    return pairs


# -- datasets -----------------------------------------------------------------------------------------


def build_alphabet(texts: Sequence[str]) -> str:
    """Every character of the transcripts, sorted; CTC's blank is index 0, so character ``c``
    is class ``alphabet.index(c) + 1``."""
    return "".join(sorted(set("".join(texts))))


def encode_text(text: str, alphabet: str) -> list[int]:
    unknown = sorted(set(text) - set(alphabet))
    if unknown:
        raise DataError(f"transcript {text[:60]!r} has characters {''.join(unknown)!r} that the training "
                        f"transcripts never use (alphabet {alphabet!r}).")
    return [alphabet.index(c) + 1 for c in text]


class SpeechDataset(Dataset):
    """Feature sequences with their transcripts. Item: ``(features (T, F), target ids (L,))``.
    ``beam``: the prefix-beam width evaluation decodes this split with."""

    def __init__(self, features: list[np.ndarray], texts: list[str], alphabet: str, beam: int = 8) -> None:
        self.beam = beam
        self.features = [torch.from_numpy(f) for f in features]
        self.texts = list(texts)
        self.alphabet = alphabet
        self.targets = [torch.tensor(encode_text(t, alphabet), dtype=torch.int64) for t in self.texts]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def lengths(self) -> list[int]:
        return [len(f) for f in self.features]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.features[index], self.targets[index]

    @staticmethod
    def collate_fn(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                                                            tuple[torch.Tensor, torch.Tensor]]:
        """``((features (B, T, F) zero-padded, lengths (B,)), (targets (sum L,), target lengths (B,)))``."""
        features = [f for f, _ in batch]
        lengths = torch.tensor([len(f) for f in features], dtype=torch.int64)
        padded = torch.nn.utils.rnn.pad_sequence(features, batch_first=True)
        targets = torch.cat([t for _, t in batch])
        target_lengths = torch.tensor([len(t) for _, t in batch], dtype=torch.int64)
        return (padded, lengths), (targets, target_lengths)


def default_cache() -> str:
    return os.environ.get("SHENDU_CACHE", str(Path.home() / ".cache" / "shendu"))


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


def _clips(data: str | None, val_fraction: float, test_fraction: float, corpus: DigitCorpusSpec, cache_dir: str | None,
           progress: bool) -> tuple[dict[str, list[tuple[Path, str]]], str]:
    if data is not None:
        pairs = load_transcript_folder(data)
        order = np.random.default_rng(corpus.seed).permutation(len(pairs))
        n_test = max(1, round(len(pairs) * test_fraction))
        n_val = max(1, round(len(pairs) * val_fraction))
        parts = {"test": order[:n_test], "val": order[n_test:n_test + n_val], "train": order[n_test + n_val:]}
        if len(parts["train"]) == 0:
            raise DataError(f"--data {data}: {len(pairs)} clips leave none for training.")
        return ({k: [pairs[i] for i in v] for k, v in parts.items()},
                f"wav folder {Path(data).resolve()} ({len(pairs)} clips, random split)")
    with _progress(progress, "espeak-ng: synthesising clips (cached afterwards)") as report:
        folder = synthesise_digits(Path(cache_dir or default_cache()) / "speech", corpus, progress=report)
    rows = read_manifest(folder)
    clips = {split: [(folder / r["file"], r["text"]) for r in rows if r["split"] == split]
             for split in ("train", "val", "test")}
    return clips, (f"spoken digit strings synthesised with espeak-ng into {folder}: {len(ACCENTS)} accents x speaker "
                   f"variants {', '.join(TRAIN_VARIANTS)} (train), {', '.join(VAL_VARIANTS)} (validation), "
                   f"{', '.join(TEST_VARIANTS)} (test: voices training never hears)")


def speech_data(data: str | None = None, val_fraction: float = 0.1, test_fraction: float = 0.1,
                corpus: dict[str, Any] | None = None, cache_dir: str | None = None, n_mels: int = 40, stack: int = 2,
                beam: int = 8, progress: bool = False, spec: AudioSpec | None = None) -> DataBundle | SpeechDataset:
    """Log-mel datasets of the clips: a wav folder ``data`` split at random, or the synthesised
    digit corpus (``corpus``: a DigitCorpusSpec's fields) cached under ``cache_dir``.

    With ``spec`` (a run's saved AudioSpec: ``shendu evaluate``), only the test clips are read,
    with the run's features and alphabet, and their dataset is returned.
    """
    corpus_spec = DigitCorpusSpec(**(corpus or {}))
    clips, source = _clips(data, val_fraction, test_fraction, corpus_spec, cache_dir, progress)
    if spec is not None:
        features, alphabet, beam, clips = spec.features, spec.alphabet, spec.beam, {"test": clips["test"]}
    else:
        features = FeatureSpec(n_mels=n_mels, stack=stack)
        # the output classes: every character of every transcript (a fixed character set, as in any
        # ASR recipe; no test *audio* is involved, and a test character training never saw stays learnable)
        alphabet = build_alphabet([t for pairs in clips.values() for _, t in pairs])
    digest = hashlib.sha256()
    datasets = {}
    for split, pairs in clips.items():
        arrays = []
        with _progress(progress, f"log-mel features ({split})") as report:
            for i, (path, text) in enumerate(pairs):
                raw = path.read_bytes()  # read once: hashed for env.json, then decoded
                digest.update(raw)
                digest.update(text.encode("utf-8"))
                arrays.append(log_mel(read_audio(path, features.sample_rate, data=raw), features))
                if report is not None:
                    report(i + 1, len(pairs))
        datasets[split] = SpeechDataset(arrays, [t for _, t in pairs], alphabet, beam=beam)
    if spec is not None:
        return datasets["test"]
    arguments = {"data": data, "val_fraction": val_fraction, "test_fraction": test_fraction, "corpus": asdict(corpus_spec),
                 "cache_dir": cache_dir}
    return DataBundle(
        **datasets, labels=list(alphabet), source=source, checksum=digest.hexdigest(),
        input_spec=AudioSpec(features=features, alphabet=alphabet, beam=beam),
        test_source=TestSource("shendu.data.speech:speech_data", arguments),
    )

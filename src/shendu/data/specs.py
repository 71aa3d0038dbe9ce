"""Input specs: how a raw input (an image file, a text, a series, a clip) becomes a model input.

One frozen dataclass per input kind, saved as model.json's ``input`` with its ``kind`` and a
``schema_version``, and read back with every field type-checked (:func:`input_spec_from_dict`).
Run folders written before specs were versioned have no ``schema_version``: they are read as
version 1, whose fields are the same. A newer version than this shendu knows is refused with a
message that says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, ClassVar

from shendu.errors import RunFolderError
from shendu.typed import from_json

SCHEMA_VERSION = 1
MAX_IMAGE_SIDE = 4096  # pixels: inputs are resized to the spec, so a larger one would be a memory bomb
MAX_SIZE = 10_000_000  # features, tokens, values: far above any model here, far below a memory bomb


@dataclass(frozen=True)
class InputSpec:
    """Base of the input specs: ``kind`` names the input kind in model.json."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "schema_version": SCHEMA_VERSION, **asdict(self)}

    def check(self, where: str) -> None:
        """Raise RunFolderError (naming ``where`` and the field) for a value no run could have
        written: the types are checked already; this checks the ranges."""


@dataclass(frozen=True)
class ImageSpec(InputSpec):
    """An image file -> a normalised ``(channels, height, width)`` tensor.

    Args:
        channels: 1 for grayscale, 3 for RGB.
        height, width: input size in pixels.
        mean, std: per-channel normalisation applied to pixels scaled to [0, 1].
        invert: ``"auto"`` inverts images whose border is bright (black ink on white paper)
            so they look like the white-on-black training digits; ``"never"`` does not.
    """

    kind: ClassVar[str] = "image"
    channels: int
    height: int
    width: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    invert: str = "never"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageSpec:
        return _parse(cls, d, "model.json `input`")

    def check(self, where: str) -> None:
        _need(self.channels in (1, 3), where, "channels", "1 (grayscale) or 3 (RGB)", self.channels)
        for name in ("height", "width"):
            _need(1 <= getattr(self, name) <= MAX_IMAGE_SIDE, where, name, f"between 1 and {MAX_IMAGE_SIDE} pixels",
                  getattr(self, name))
        for name in ("mean", "std"):
            values = getattr(self, name)
            _need(len(values) == self.channels and all(math.isfinite(v) for v in values), where, name,
                  f"{self.channels} finite number{'s' if self.channels > 1 else ''} (one per channel)", list(values))
        _need(all(v > 0 for v in self.std), where, "std", "positive numbers", list(self.std))
        _need(self.invert in ("auto", "never"), where, "invert", "'auto' or 'never'", self.invert)


@dataclass(frozen=True)
class VectorSpec(InputSpec):
    """``features`` numbers -> a float vector."""

    kind: ClassVar[str] = "vector"
    features: int

    def check(self, where: str) -> None:
        _need(1 <= self.features <= MAX_SIZE, where, "features", f"between 1 and {MAX_SIZE:,}", self.features)


@dataclass(frozen=True)
class TextSpec(InputSpec):
    """A text -> token ids, with the run folder's tokenizer.

    Args:
        tokenizer: the tokenizer file in the run folder (``tokenizer.json``).
        max_length: tokens read per text.
        vocab_size: the tokenizer's vocabulary size.
        special_tokens: add the tokenizer's own ``[CLS] ... [SEP]`` (pretrained encoders).
        head: head+tail truncation: keep the first ``head`` and last ``max_length - head`` tokens.
    """

    kind: ClassVar[str] = "text"
    tokenizer: str
    max_length: int
    vocab_size: int
    special_tokens: bool = False
    head: int | None = None

    def check(self, where: str) -> None:
        # a plain file name: the tokenizer is read from the run folder and nowhere else
        _need(bool(self.tokenizer) and PurePath(self.tokenizer).name == self.tokenizer and self.tokenizer != ".."
              and "/" not in self.tokenizer and "\\" not in self.tokenizer, where, "tokenizer",
              "the name of a file in the run folder (tokenizer.json)", self.tokenizer)
        _need(1 <= self.max_length <= MAX_SIZE, where, "max_length", f"between 1 and {MAX_SIZE:,} tokens",
              self.max_length)
        _need(1 <= self.vocab_size <= MAX_SIZE, where, "vocab_size", f"between 1 and {MAX_SIZE:,}", self.vocab_size)
        _need(self.head is None or 0 <= self.head <= self.max_length, where, "head",
              f"null or a number of tokens from 0 to max_length ({self.max_length})", self.head)


@dataclass(frozen=True)
class SeriesSpec(InputSpec):
    """The last ``lookback`` values of a series -> a scaled window; forecasts ``horizon`` values.

    ``mean``/``std`` standardise the values (their logarithm when ``log``), fitted on the
    training part only.
    """

    kind: ClassVar[str] = "series"
    name: str
    unit: str
    lookback: int
    horizon: int
    mean: float
    std: float
    log: bool = False

    def check(self, where: str) -> None:
        _need(1 <= self.lookback <= MAX_SIZE, where, "lookback", f"between 1 and {MAX_SIZE:,} values", self.lookback)
        _need(1 <= self.horizon <= MAX_SIZE, where, "horizon", f"between 1 and {MAX_SIZE:,} values", self.horizon)
        _need(math.isfinite(self.mean), where, "mean", "a finite number", self.mean)
        _need(math.isfinite(self.std) and self.std > 0, where, "std", "a positive finite number", self.std)


@dataclass(frozen=True)
class FeatureSpec:
    """Log-mel features: ``n_mels`` mel bands of ``n_fft``-sample frames every ``hop`` samples at
    ``sample_rate``; ``stack`` consecutive frames are concatenated (fewer, wider frames for the
    LSTM); each clip is normalised to zero mean, unit variance per band (per-utterance CMVN)."""

    sample_rate: int = 16000
    n_fft: int = 400
    hop: int = 160
    n_mels: int = 40
    stack: int = 2

    @property
    def dim(self) -> int:
        return self.n_mels * self.stack

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AudioSpec(InputSpec):
    """A clip -> log-mel features (``features``); outputs are characters of ``alphabet`` (class
    ``i + 1``; 0 is CTC's blank), decoded by prefix beam search of width ``beam``."""

    kind: ClassVar[str] = "audio"
    features: FeatureSpec
    alphabet: str
    beam: int = 8

    def check(self, where: str) -> None:
        for name in ("sample_rate", "n_fft", "hop", "n_mels", "stack"):
            value = getattr(self.features, name)
            _need(1 <= value <= 1_000_000, f"{where}.features", name, "a whole number from 1 to 1,000,000", value)
        _need(len(self.alphabet) > 0, where, "alphabet", "the characters the model writes", self.alphabet)
        _need(1 <= self.beam <= 1000, where, "beam", "a beam width from 1 to 1000", self.beam)


# multimodal runs before the image spec was saved used exactly this one
_MULTIMODAL_IMAGE = ImageSpec(channels=1, height=8, width=8, mean=(0.0,), std=(1.0,), invert="auto")


@dataclass(frozen=True)
class MultimodalSpec(InputSpec):
    """An image and a caption -> the caption's bag of words (``text_vocabulary``, in order)
    followed by the image's pixels (``image``, flattened)."""

    kind: ClassVar[str] = "multimodal"
    text_vocabulary: tuple[str, ...]
    text_dim: int
    image_shape: tuple[int, ...] = (8, 8)
    image: ImageSpec = field(default=_MULTIMODAL_IMAGE)

    def check(self, where: str) -> None:
        _need(0 <= self.text_dim <= MAX_SIZE, where, "text_dim", f"between 0 and {MAX_SIZE:,}", self.text_dim)
        _need(len(self.image_shape) in (2, 3) and all(1 <= n <= MAX_IMAGE_SIDE for n in self.image_shape), where,
              "image_shape", f"2 or 3 sizes from 1 to {MAX_IMAGE_SIDE}", list(self.image_shape))
        self.image.check(f"{where}.image")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "image": self.image.to_dict()}


SPECS: dict[str, type[InputSpec]] = {s.kind: s for s in (ImageSpec, VectorSpec, TextSpec, SeriesSpec, AudioSpec,
                                                            MultimodalSpec)}


def _parse(cls: type, d: dict[str, Any], where: str) -> Any:
    version = d.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise RunFolderError(f"{where} has schema_version {version!r}; this shendu reads input specs up to version "
                             f"{SCHEMA_VERSION}. Upgrade shendu (see env.json for the version that trained the run).")
    nested = {k: v for k, v in d.items() if k not in ("kind", "schema_version")}
    if cls is MultimodalSpec and isinstance(nested.get("image"), dict):
        nested["image"] = _parse(ImageSpec, nested["image"], f"{where}.image")
    spec = from_json(cls, nested, where, RunFolderError)
    spec.check(where)
    return spec


def _need(ok: bool, where: str, name: str, expected: str, got: Any) -> None:
    if not ok:
        shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
        raise RunFolderError(f"{where}.{name} must be {expected}; got {shown}. Restore model.json from the run, "
                             "or train again.")


def input_spec_from_dict(d: Any, where: str = "model.json `input`") -> InputSpec:
    """Read model.json's ``input`` back into its typed spec (old, unversioned runs included).

    Raises:
        RunFolderError: not an object, an unknown ``kind``, a newer ``schema_version``, an
            unknown key, a missing field or a value of the wrong type.
    """
    if not isinstance(d, dict):
        raise RunFolderError(f"{where} must be a JSON object with a 'kind'; got {d!r:.60}.")
    kind = d.get("kind")
    if not isinstance(kind, str) or kind not in SPECS:
        raise RunFolderError(f"{where} has kind {kind!r}; this shendu reads {', '.join(SPECS)}. Use the shendu "
                             "version that trained the run, or restore model.json.")
    return _parse(SPECS[kind], d, where)

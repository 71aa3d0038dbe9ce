"""Input specs: how a raw input (an image file, a text, a series, a clip) becomes a model input.

One frozen dataclass per input kind, saved as model.json's ``input`` with its ``kind`` and a
``schema_version``, and read back with every field type-checked (:func:`input_spec_from_dict`).
Run folders written before specs were versioned have no ``schema_version``: they are read as
version 1, whose fields are the same. A newer version than this shendu knows is refused with a
message that says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from shendu.errors import RunFolderError
from shendu.typed import from_json

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class InputSpec:
    """Base of the input specs: ``kind`` names the input kind in model.json."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "schema_version": SCHEMA_VERSION, **asdict(self)}


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


@dataclass(frozen=True)
class VectorSpec(InputSpec):
    """``features`` numbers -> a float vector."""

    kind: ClassVar[str] = "vector"
    features: int


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
    return from_json(cls, nested, where, RunFolderError)


def input_spec_from_dict(d: Any, where: str = "model.json `input`") -> InputSpec:
    """Read model.json's ``input`` back into its typed spec (old, unversioned runs included).

    Raises:
        RunFolderError: not an object, an unknown ``kind``, a newer ``schema_version``, an
            unknown key, a missing field or a value of the wrong type.
    """
    if not isinstance(d, dict):
        raise RunFolderError(f"{where} must be a JSON object with a 'kind'; got {d!r:.60}.")
    kind = d.get("kind")
    if kind not in SPECS:
        raise RunFolderError(f"{where} has kind {kind!r}; this shendu reads {', '.join(SPECS)}. Use the shendu "
                             "version that trained the run, or restore model.json.")
    return _parse(SPECS[kind], d, where)

"""What a request carries -> what a task kind's ``predict`` reads.

The kinds (:mod:`shendu.predict.kinds`) read PIL images, texts, lists of numbers, waveforms and
``(image, caption)`` pairs; this module only undoes the transport (base64, multipart bytes) and
checks that each input is of the kind the model reads. Reading an input's content (decoding an
image with its size checked first, an audio clip's length, a text's length) stays with the
data layer and the kind, so the CLI, the Python API and the service refuse the same inputs
with the same messages.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from shendu.errors import InputError

# the fields of a request item, by the input kind of the model that reads them
FIELD_OF_KIND = {"image": "image", "vector": "numbers", "text": "text", "series": "numbers", "audio": "audio",
                 "multimodal": "image"}
# the request options a kind takes over HTTP (save_dir is never one: requests write nothing)
HTTP_OPTIONS = {"top_k", "explain", "score_threshold"}


class UnsupportedMedia(InputError):
    """An upload whose bytes are not of the media the model reads (answered 415)."""


def decode_base64(text: str, what: str) -> bytes:
    """Standard or URL-safe base64, with or without a ``data:...;base64,`` prefix."""
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        padded = text.strip() + "=" * (-len(text.strip()) % 4)
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"`{what}` must be base64 (the file's bytes encoded, optionally as a data: URL); "
                         f"got {len(text)} characters that are not.") from None


def image_from_bytes(data: bytes, name: str) -> Any:
    """A PIL image from an upload's bytes (size checked before decoding: no decompression bomb)."""
    from shendu.data.images import NotAnImageError, read_image

    if not data:
        raise InputError(f"{name} is empty (0 bytes); send a PNG, JPEG or BMP file.")
    try:
        return read_image(name, data=data)
    except NotAnImageError:
        raise UnsupportedMedia(f"{name} is not an image Pillow can read (PNG, JPEG, BMP, GIF, TIFF, WebP); "
                               f"got {len(data):,} bytes starting {data[:8]!r}. Send a picture.") from None


def audio_from_bytes(data: bytes, name: str, sample_rate: int) -> Any:
    """``(waveform, sample_rate)`` from an upload's bytes (a wav, flac or ogg file)."""
    from shendu.data.speech import read_audio

    if not data:
        raise InputError(f"{name} is empty (0 bytes); send a .wav file.")
    try:
        return read_audio(name, sample_rate, data=data), sample_rate
    except InputError as exc:
        if "is not audio" in str(exc):
            raise UnsupportedMedia(str(exc)) from None
        raise


def finite_numbers(values: list[float], what: str) -> list[float]:
    if not values:
        raise InputError(f"`{what}` is empty; send the model's numbers, e.g. [0.5, 1.0].")
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        raise InputError(f"`{what}` holds {bad[0]}; every number must be finite.")
    return values


def from_item(input_kind: str, item: dict[str, Any], index: int, spec: Any) -> Any:
    """One JSON request item (``{"image": b64}``, ``{"text": ...}``, ``{"numbers": [...]}``,
    ``{"audio": b64}``; multimodal also ``"caption"``) as its kind reads it."""
    wanted = FIELD_OF_KIND[input_kind]
    given = sorted(k for k, v in item.items() if v is not None and k != "caption")
    if given != [wanted]:
        raise InputError(f"input {index}: this model reads {input_kind} inputs, sent as `{wanted}`; got "
                         f"{', '.join(f'`{g}`' for g in given) or 'no input field'}.")
    value = item[wanted]
    name = f"input {index}"
    if wanted == "image":
        image = image_from_bytes(decode_base64(value, f"{name} image"), name)
        return with_caption(input_kind, image, item.get("caption"), index)
    if wanted == "audio":
        return audio_from_bytes(decode_base64(value, f"{name} audio"), name, spec.features.sample_rate)
    if wanted == "numbers":
        return finite_numbers(list(value), f"{name} numbers")
    return value  # text: the kind checks emptiness, binary content and length


def from_upload(input_kind: str, data: bytes, filename: str, caption: str | None, spec: Any) -> Any:
    """One multipart upload as its kind reads it (images, audio; a text or numbers file's
    content for text, vector and series models)."""
    if input_kind in ("image", "multimodal"):
        return with_caption(input_kind, image_from_bytes(data, filename), caption, 0)
    if input_kind == "audio":
        return audio_from_bytes(data, filename, spec.features.sample_rate)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedMedia(f"{filename} is not UTF-8 text; this model reads {input_kind} inputs as text.") from None
    if input_kind == "text":
        return text
    try:
        return finite_numbers([float(v) for v in text.replace("\n", ",").split(",") if v.strip()], filename)
    except ValueError:
        raise InputError(f"{filename} must hold comma- or line-separated numbers; got {text[:40]!r}.") from None


def with_caption(input_kind: str, image: Any, caption: str | None, index: int) -> Any:
    if input_kind != "multimodal":
        if caption is not None:
            raise InputError(f"input {index}: `caption` is read by multimodal models only; leave it out.")
        return image
    if caption is None:
        raise InputError(f"input {index}: this model reads an image with a caption; add `caption`, e.g. "
                         "\"an even number\".")
    return image, caption


def example_input(input_kind: str, spec: Any) -> Any:
    """One input of the model's kind, for the warm-up prediction before ``/ready`` says 200."""
    import numpy as np
    from PIL import Image

    if input_kind in ("image", "multimodal"):
        image_spec = getattr(spec, "image", spec)
        image = Image.new("L", (max(getattr(image_spec, "width", 64), 32), max(getattr(image_spec, "height", 64), 32)))
        return image if input_kind == "image" else (image, "warm up")
    if input_kind == "text":
        return "a warm-up sentence"
    if input_kind == "vector":
        return [0.0] * spec.features
    if input_kind == "series":
        return [1.0] * spec.lookback
    if input_kind == "audio":
        rate = spec.features.sample_rate
        return np.zeros(rate // 2, dtype=np.float32), rate
    raise ValueError(f"no example input for {input_kind!r}")

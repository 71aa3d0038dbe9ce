"""Turn an image file a user brings into the tensor a trained model takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from shendu.data.base import ImageSpec
from shendu.data.inputs import input_file
from shendu.errors import InputError

MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs with a clear message


class NotAnImageError(InputError):
    """A file that is no image format Pillow knows (as opposed to a broken or refused image)."""


def read_image(path: Path | str, data: bytes | None = None) -> Image.Image:
    """Open an image file fully; raise InputError if it is missing or not an image.

    ``data``: the file's bytes when the caller has them already (an upload; ``path`` then only
    names it in messages). The size is checked from the header, before any pixel is decoded,
    so a decompression bomb (a small PNG of 20000x20000 pixels) is refused without being
    expanded; Pillow's own bomb error is turned into the same message.
    """
    import io

    path = Path(path) if data is not None else input_file(path, "an image file (PNG, JPEG, BMP, ...)")
    with _reading(path):
        with Image.open(path if data is None else io.BytesIO(data)) as image:
            _check_size(image, path)
            image.load()
            return image.copy()


@dataclass(frozen=True)
class ImageFile:
    """An image file checked without being decoded (:func:`check_image`); :meth:`open` decodes it."""

    path: Path

    def open(self) -> Image.Image:
        return read_image(self.path)


def check_image(path: Path | str) -> ImageFile:
    """Check an image file the way :func:`read_image` would, without decoding its pixels: it
    exists, is a format Pillow knows, its header's size is within MAX_IMAGE_PIXELS, and its
    structure is intact as far as Pillow's ``verify`` sees (every chunk and checksum of a PNG;
    little of a JPEG, whose damage shows only when :meth:`ImageFile.open` decodes it).

    Raises:
        InputError: as :func:`read_image` does.
    """
    path = input_file(path, "an image file (PNG, JPEG, BMP, ...)")
    with _reading(path):
        with Image.open(path) as image:
            _check_size(image, path)
            image.verify()
    return ImageFile(path)


def _check_size(image: Image.Image, path: Path) -> None:
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise InputError(f"{path} is {image.width}x{image.height} pixels; images over "
                         f"{MAX_IMAGE_PIXELS:,} pixels are refused. Resize it first.")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Pillow's errors while reading ``path`` as one InputError each."""
    try:
        yield
    except InputError:  # our own (a ValueError): already says what is wrong
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path} is refused as a decompression bomb ({exc}); images over "
                         f"{MAX_IMAGE_PIXELS:,} pixels are refused. Resize it first.") from None
    except UnidentifiedImageError:
        raise NotAnImageError(f"INPUT must be an image file (PNG, JPEG, BMP, ...); {path} is no image format "
                              "Pillow knows. Pass a picture of what the model was trained on.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"INPUT must be an image file (PNG, JPEG, BMP, ...); {path} could not be read as "
            f"one ({type(exc).__name__}: {exc}). Pass a picture of what the model was trained on."
        ) from None


def image_to_tensor(image: Image.Image, spec: ImageSpec) -> torch.Tensor:
    """Convert, resize and normalise ``image`` as ``spec`` says; returns ``(C, H, W)`` float32.

    With ``spec.invert == "auto"``, an image whose border is brighter than its centre is
    inverted: photos and drawings of digits are dark ink on white paper, while MNIST digits
    are white on black.
    """
    image = _flatten_alpha(image)
    shrinking = image.width > spec.width or image.height > spec.height
    # BOX averages whole source pixels when shrinking (like OpenCV's INTER_AREA), so a
    # digit drawn at a larger size keeps its stroke weights; BILINEAR when enlarging.
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    image = image.convert("L" if spec.channels == 1 else "RGB").resize((spec.width, spec.height), resample)
    pixels = _unit_pixels(image, spec.invert)
    mean = np.asarray(spec.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(spec.std, dtype=np.float32)[:, None, None]
    return torch.from_numpy((pixels - mean) / std)


def image_to_unit_tensor(image: Image.Image, spec: ImageSpec) -> torch.Tensor:
    """``image`` at its own size as ``(C, H, W)`` float32 in [0, 1], inverted as ``spec`` says;
    for models that resize and normalise inside (torchvision's detectors)."""
    image = _flatten_alpha(image).convert("L" if spec.channels == 1 else "RGB")
    return torch.from_numpy(_unit_pixels(image, spec.invert))


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Put transparent images on white paper; bring 16-bit and 32-bit greys to 8 bits (Pillow's
    own ``convert("L")`` clips them, which turns most 16-bit pictures white)."""
    if image.mode.startswith("I") or image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16") or (image.mode == "I" and values.max(initial=0) > 255):
            values = values / 257.0  # 0..65535 -> 0..255
        elif image.mode == "F" and values.max(initial=0) <= 1.0:
            values = values * 255.0
        return Image.fromarray(np.clip(np.nan_to_num(values), 0, 255).round().astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA"))
    return image


def _unit_pixels(image: Image.Image, invert: str) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)  # -> (C, H, W)
    if invert == "auto" and _border_mean(pixels) > 0.5:
        pixels = 1.0 - pixels
    return np.ascontiguousarray(pixels)


def _border_mean(pixels: np.ndarray) -> float:
    border = np.concatenate(
        [pixels[:, 0, :].ravel(), pixels[:, -1, :].ravel(), pixels[:, :, 0].ravel(), pixels[:, :, -1].ravel()]
    )
    return float(border.mean())

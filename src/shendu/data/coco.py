"""COCO-style detection files from strangers: every entry checked, every image inside its folder.

A COCO ``annotations.json`` lists ``images`` (``id``, ``file_name``, ``width``, ``height``),
``categories`` (``id``, ``name``) and ``annotations`` (``image_id``, ``category_id``, ``bbox`` as
``[x, y, width, height]`` in pixels). Each field is checked before it is used, and a wrong one is
refused with the file, the entry (``annotations[12]``) and the field named. A ``file_name`` must
name an image inside the annotations' folder: absolute names, ``../`` that climbs out and
symlinks that point out are refused, so a file made elsewhere cannot have files outside its
folder read. Sizes are checked before anything is read or decoded.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from shendu.data.images import MAX_IMAGE_PIXELS
from shendu.errors import DataError

MAX_ANNOTATIONS_BYTES = 512 * 2**20  # the COCO 2017 train file is 448 MB
FIX = "Fix the entry or remove it."


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: Any, limit: int = 80) -> str:
    return _clip(repr(value), limit)


def read_json_file(path: Path, what: str, limit: int | None = None) -> Any:
    """The JSON value in ``path``, read only when it is a file of at most ``limit`` bytes
    (default MAX_ANNOTATIONS_BYTES).

    Raises:
        DataError: missing, a folder, too large, not UTF-8, not JSON, or nested too deeply.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{path} is missing; pass {what}.") from None
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}); pass {what}.") from None
    if not path.is_file():
        raise DataError(f"{path} is a folder, not a file; pass {what}.")
    limit = MAX_ANNOTATIONS_BYTES if limit is None else limit
    if size > limit:
        raise DataError(f"{path} is {size:,} bytes; files over {limit:,} bytes are refused as {what}. "
                        "Split the data into smaller files.")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} must be UTF-8 JSON ({what}); byte {exc.start} is not UTF-8.") from None
    except RecursionError:
        raise DataError(f"{path} nests lists or objects too deeply to be {what}.") from None
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4,300 digits
        raise DataError(f"{path} must be {what}; it is not valid JSON ({exc}).") from None


def _field(entry: dict[str, Any], key: str, where: str, kind: str) -> Any:
    """``entry[key]`` checked to be ``kind``: ``"id"`` (a whole number), ``"size"`` (a whole
    number of at least 1) or ``"text"`` (a non-empty string)."""
    if key not in entry:
        has = ", ".join(map(str, entry))
        raise DataError(f"{where} lacks `{key}`; it has {_clip(has, 120) if has else 'no fields'}. {FIX}")
    value = entry[key]
    whole = isinstance(value, int) and not isinstance(value, bool)
    if kind == "id" and not whole:
        raise DataError(f"{where} `{key}` must be a whole number; got {_shown(value)}. {FIX}")
    if kind == "size" and not (whole and value >= 1):
        raise DataError(f"{where} `{key}` must be a whole number of pixels, at least 1; got {_shown(value)}. {FIX}")
    if kind == "text" and not (isinstance(value, str) and value):
        raise DataError(f"{where} `{key}` must be a non-empty string; got {_shown(value)}. {FIX}")
    return value


def _entries(coco: dict[str, Any], key: str, annotations: Path) -> list[dict[str, Any]]:
    entries = coco.get(key)
    if not isinstance(entries, list):
        found = "none" if key not in coco else f"a {type(entries).__name__}"
        raise DataError(f"{annotations} `{key}` must be a list of JSON objects (COCO style); got {found}.")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DataError(f"{annotations}: {key}[{index}] must be a JSON object; got {_shown(entry)}. {FIX}")
    return entries


def _bbox(value: Any, where: str) -> tuple[float, float, float, float]:
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise DataError(f"{where} `bbox` must be 4 numbers [x, y, width, height]; got {_shown(value)}. {FIX}")
    x, y, w, h = (float(v) for v in value)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise DataError(f"{where} `bbox` must hold finite numbers; got {_shown(value)}. {FIX}")
    return x, y, w, h


def image_inside(folder: Path, name: str, where: str) -> Path:
    """``folder / name``, when it is an existing file inside ``folder`` once every symlink is followed.

    Raises:
        DataError: ``name`` is absolute, climbs out with ``..``, passes through a symlink that
            points out of ``folder``, or names no file.
    """
    fix = f"Put the image inside {folder} and name it relative to that folder."
    if "\x00" in name:
        raise DataError(f"{where} `file_name` {_shown(name)} holds a NUL character, which no file name can. {FIX}")
    if Path(name).is_absolute():
        raise DataError(f"{where} `file_name` {_shown(name)} is absolute; it must be relative to the folder of "
                        f"the annotations. {fix}")
    path = folder / name
    try:
        root, target = folder.resolve(), path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise DataError(f"{where} `file_name` {_shown(name)} cannot be followed to a file "
                        f"({getattr(exc, 'strerror', None) or type(exc).__name__}). {FIX}") from None
    if not target.is_relative_to(root):
        base = folder.absolute()
        climbs = not Path(os.path.normpath(base / name)).is_relative_to(os.path.normpath(base))
        how = "climbs out of it with ../" if climbs else f"leads through a symlink to {target}, outside it"
        raise DataError(f"{where} `file_name` {_shown(name)} must name an image inside {folder}; it {how}. {fix}")
    try:
        found = None if target.is_file() else "a folder" if target.is_dir() else "no such file"
    except OSError as exc:  # a name too long for the file system
        found = f"not a readable file ({exc.strerror or type(exc).__name__})"
    if found is not None:
        raise DataError(f"{where} lists image {_shown(name)}, but {_clip(str(path), 200)} is {found}.")
    return path


def check_image_file(path: Path, width: int, height: int, where: str) -> None:
    """Refuse an image file that is not a complete image of ``width`` x ``height`` pixels (of at
    most MAX_IMAGE_PIXELS), from its header and a check of its chunks, without decoding it."""
    try:
        with Image.open(path) as image:
            size = image.size
            if size[0] * size[1] > MAX_IMAGE_PIXELS:
                raise DataError(f"{where} lists {path.name}, which is {size[0]}x{size[1]} pixels; images over "
                                f"{MAX_IMAGE_PIXELS:,} pixels are refused. Resize it (and its boxes) first.")
            image.verify()
    except DataError:
        raise
    except Image.DecompressionBombError:
        raise DataError(f"{where} lists {path.name}, which is refused as a decompression bomb; images over "
                        f"{MAX_IMAGE_PIXELS:,} pixels are refused. Resize it (and its boxes) first.") from None
    except Exception as exc:  # noqa: BLE001 (PIL raises many kinds for a damaged file)
        raise DataError(f"{where} lists {path.name}, which is not a readable image ({type(exc).__name__}: "
                        f"{str(exc)[:200]}). Replace the file or remove it from the JSON.") from None
    if size != (width, height):
        raise DataError(f"{where} says {path.name} is {width}x{height} pixels, but it is {size[0]}x{size[1]}; its "
                        "boxes would be placed wrongly. Fix `width` and `height` (and the boxes) or the image.")


def load_coco_detection(annotations: Path | str, images_dir: Path | str) -> tuple[list[Path], list[np.ndarray],
                                                                                   list[np.ndarray], list[str]]:
    """Read a COCO-style detection file: image paths, boxes (x1, y1, x2, y2), labels, class names.

    Every image is checked from its header (size, completeness) but not decoded.

    Raises:
        DataError: the file is missing, too large or not COCO-style JSON; an entry lacks a field
            or has one of the wrong type; a box is not inside its image; a ``file_name`` names
            no image inside ``images_dir``.
    """
    annotations, folder = Path(annotations), Path(images_dir)
    what = "COCO-style JSON with 'images', 'annotations' and 'categories'"
    coco = read_json_file(annotations, what)
    if not isinstance(coco, dict):
        raise DataError(f"{annotations} must be a JSON object with 'images', 'annotations' and 'categories' "
                        f"(COCO style); got a {type(coco).__name__}.")
    lists = {key: _entries(coco, key, annotations) for key in ("images", "categories", "annotations")}
    images: dict[int, tuple[int, dict[str, Any]]] = {}
    for index, image in enumerate(lists["images"]):
        where = f"{annotations}: images[{index}]"
        image_id = _field(image, "id", where, "id")
        _field(image, "file_name", where, "text")
        _field(image, "width", where, "size")
        _field(image, "height", where, "size")
        if image_id in images:
            raise DataError(f"{where} has `id` {image_id}, like images[{images[image_id][0]}]; ids must differ. {FIX}")
        images[image_id] = (index, image)
    categories: dict[int, tuple[int, str]] = {}
    for index, category in enumerate(lists["categories"]):
        where = f"{annotations}: categories[{index}]"
        category_id = _field(category, "id", where, "id")
        name = _field(category, "name", where, "text")
        if category_id in categories:
            raise DataError(f"{where} has `id` {category_id}, like categories[{categories[category_id][0]}]; "
                            f"ids must differ. {FIX}")
        categories[category_id] = (index, name)
    if not categories:
        raise DataError(f"{annotations} `categories` is empty; detection needs at least one class to learn.")
    label_of = {category_id: label for label, category_id in enumerate(sorted(categories))}
    per_image: dict[int, list[tuple[list[float], int]]] = {image_id: [] for image_id in images}
    for index, entry in enumerate(lists["annotations"]):
        where = f"{annotations}: annotations[{index}]" + (f" (id {_shown(entry['id'], 24)})" if "id" in entry else "")
        image_id = _field(entry, "image_id", where, "id")
        if image_id not in images:
            raise DataError(f"{where} `image_id` is {image_id}, which no entry of `images` has. {FIX}")
        category_id = _field(entry, "category_id", where, "id")
        if category_id not in categories:
            raise DataError(f"{where} `category_id` is {category_id}, which no entry of `categories` has. {FIX}")
        if "bbox" not in entry:
            raise DataError(f"{where} lacks `bbox` ([x, y, width, height] in pixels). {FIX}")
        x, y, w, h = _bbox(entry["bbox"], where)
        image = images[image_id][1]
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > image["width"] or y + h > image["height"]:
            raise DataError(f"{where} has bbox [x, y, width, height] = {_shown(entry['bbox'])}, which is not inside "
                            f"its {image['width']}x{image['height']} image {_clip(image['file_name'])}. Fix or drop the box.")
        per_image[image_id].append(([x, y, x + w, y + h], label_of[category_id]))
    paths, boxes, labels = [], [], []
    for image_id, (index, image) in sorted(images.items()):
        where = f"{annotations}: images[{index}]"
        path = image_inside(folder, image["file_name"], where)
        check_image_file(path, image["width"], image["height"], where)
        paths.append(path)
        boxes.append(np.asarray([b for b, _ in per_image[image_id]], dtype=np.float32).reshape(-1, 4))
        labels.append(np.asarray([c for _, c in per_image[image_id]], dtype=np.int64))
    return paths, boxes, labels, [categories[category_id][1] for category_id in sorted(categories)]

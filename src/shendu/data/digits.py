"""The 8x8 handwritten digits that ship with scikit-learn (1,797 images, 10 classes)."""

from __future__ import annotations

import numpy as np
import torchvision.transforms.v2 as T

from shendu.data.base import ArrayImageDataset, DataBundle, ImageSpec, TestSource
from shendu.data.splits import array_checksum, stratified_split

DIGIT_LABELS = [str(d) for d in range(10)]
# Pixel mean and std of the training split: standardised inputs train the MLP faster.
DIGITS_SPEC = ImageSpec(channels=1, height=8, width=8, mean=(0.3049,), std=(0.3758,), invert="auto")


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Return images ``(1797, 8, 8)`` float32 in [0, 1] (ink is 1) and labels ``(1797,)``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    return images, labels


def digits_bundle(test_size: int = 360, val_size: int = 180, split_seed: int = 0) -> DataBundle:
    """The 8x8 digits, stratified into train/val/test (1,257 / 180 / 360 by default)."""
    images, labels = load_digits_arrays()
    split = stratified_split(labels, test_size=test_size, val_size=val_size, seed=split_seed)
    normalize = T.Normalize(DIGITS_SPEC.mean, DIGITS_SPEC.std)
    return DataBundle(
        train=ArrayImageDataset(images[split.train], labels[split.train], transform=normalize),
        val=ArrayImageDataset(images[split.val], labels[split.val], transform=normalize),
        test=ArrayImageDataset(images[split.test], labels[split.test], transform=normalize),
        labels=DIGIT_LABELS,
        source="scikit-learn load_digits: 1,797 8x8 images (UCI optical digits)",
        checksum=array_checksum(images, labels),
        input_spec=DIGITS_SPEC,
        extra={"split_seed": split_seed},
        test_source=TestSource("shendu.data.digits:digits_bundle",
                               {"test_size": test_size, "val_size": val_size, "split_seed": split_seed}),
    )

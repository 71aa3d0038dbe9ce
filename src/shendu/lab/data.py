"""The lab's data as NumPy arrays: scikit-learn's 8x8 digits and the XOR truth table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

# Pixel mean and std of the digits' training split (shendu.data.digits.DIGITS_SPEC).
_DIGITS_MEAN, _DIGITS_STD = 0.3049, 0.3758

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])


@dataclass(frozen=True)
class Split:
    """Training and held-out arrays: inputs ``(N, 64)`` standardised, labels ``(N,)`` int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def astype(self, dtype: str) -> Split:
        return Split(self.x_train.astype(dtype), self.y_train, self.x_test.astype(dtype), self.y_test)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)


def digits(train_limit: int | None = None, test_size: int = 360) -> Split:
    """The 1,797 digits (scikit-learn), flattened to 64 standardised pixels, split with the class
    balance kept (the split of `shendu train digits-mlp`'s test set, seed 0): 1,437 training images
    (or the first ``train_limit``) and ``test_size`` held out. The split does not depend on the
    training seed: every seed is tested on the same images."""
    from shendu.data.splits import stratified_split

    images, labels = _digits()
    split = stratified_split(labels, test_size=test_size, val_size=0, seed=0)
    train = split.train if train_limit is None else split.train[:train_limit]
    x = (images - _DIGITS_MEAN) / _DIGITS_STD
    return Split(x[train], labels[train], x[split.test], labels[split.test])

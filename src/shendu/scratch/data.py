"""TensorDataset and DataLoader over numpy arrays, with torch.utils.data's names."""

from __future__ import annotations

import numpy as np

from . import rng
from .tensor import Tensor


class TensorDataset:
    """Samples are rows of equally long arrays (or Tensors): dataset[i] = (a[i], b[i], ...).

    Raises:
        AssertionError: the arrays differ in length (torch's exception type).
    """

    def __init__(self, *arrays):
        self.arrays = tuple(np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays)
        if any(len(a) != len(self.arrays[0]) for a in self.arrays):
            raise AssertionError(f"Size mismatch between tensors: lengths {[len(a) for a in self.arrays]}")

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])


def default_collate(samples: list):
    """Stack a list of samples (arrays, numbers, or tuples of them) into batch Tensors."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    return Tensor(np.stack([np.asarray(s.data if isinstance(s, Tensor) else s) for s in samples]))


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset: a TensorDataset, a numpy array (rows are samples), or any object with
            __len__ and __getitem__.
        batch_size: samples per batch.
        shuffle: draw a new permutation each epoch from `generator`.
        drop_last: drop the final incomplete batch.
        generator: a numpy Generator or an int seed; defaults to the module generator.

    TensorDatasets and arrays are batched by one fancy-index per array, not sample by sample.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator=None, collate_fn=None):
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if isinstance(dataset, Tensor):
            dataset = dataset.data
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.generator = np.random.default_rng(generator) if isinstance(generator, int) else generator
        self.collate_fn = collate_fn or default_collate

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batches(self):
        n = len(self.dataset)
        order = (self.generator or rng.default_generator()).permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield order[start : start + self.batch_size]

    def __iter__(self):
        for index in self._batches():
            if isinstance(self.dataset, np.ndarray):
                yield Tensor(self.dataset[index])
            elif isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
                yield tuple(Tensor(a[index]) for a in self.dataset.arrays)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in index])

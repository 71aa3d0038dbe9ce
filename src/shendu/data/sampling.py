"""Training order that survives a restart.

An epoch's order and every sample's augmentation are functions of ``(seed, epoch, position)``,
never of how many random numbers were drawn before. A run stopped at any step and resumed
from a checkpoint (which records the epoch and the batches done) then sees the same batches,
augmented the same way, as a run that never stopped: every sample once per epoch, and the
weights bitwise equal on the CPU.

- :class:`EpochShuffle` yields ``(index, sample_seed)`` pairs, shuffled per epoch;
- :class:`SeededSamples` wraps a dataset: it draws each sample's random augmentation from a
  generator seeded with ``sample_seed``, and leaves the global generator (dropout's) untouched,
  so the prefetch of the next batch (Lightning reads one batch ahead) changes nothing. A
  dataset with ``seeded_items(keys)`` reads a whole batch at once (mnist-cnn's warps).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import Dataset, Sampler

_MIX = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: spreads (seed, epoch) over the seed space


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A generator that depends on ``seed`` and ``epoch`` only."""
    return torch.Generator().manual_seed((seed * _MIX + epoch + 1) % (2**63))


class EpochShuffle(Sampler[tuple[int, int]]):
    """Shuffle ``size`` indices with a fresh order each epoch, resumable mid-epoch.

    Yields ``(index, sample_seed)``; feed it to a DataLoader over :class:`SeededSamples`.
    Lightning calls :meth:`set_epoch` before each epoch (so does the scratch engine's loop).

    Args:
        size: the number of samples.
        seed: the run's seed.
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.epoch = 0
        self._resume: tuple[int, int] | None = None

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_at(self, epoch: int, batches: int, batch_size: int) -> None:
        """Start epoch ``epoch`` after its first ``batches`` batches of ``batch_size`` (trained on)."""
        self._resume = (epoch, batches * batch_size)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        generator = epoch_generator(self.seed, self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        base = int(torch.randint(0, 2**62, (), generator=generator))
        start = self._resume[1] if self._resume is not None and self._resume[0] == self.epoch else 0
        for position in range(start, self.size):
            yield order[position], base + position


class SeededSamples(Dataset):
    """``dataset[index]`` with its random augmentation drawn from ``sample_seed``.

    Indexed with the ``(index, sample_seed)`` pairs of :class:`EpochShuffle` (a plain index
    reads the sample with the global generator, as the dataset itself would).
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, tuple):
            return self.dataset[key]
        index, seed = key
        with torch.random.fork_rng(devices=[]):  # the CPU generator only: CUDA's (dropout on a GPU) is untouched
            torch.default_generator.manual_seed(seed)
            return self.dataset[index]

    def __getitems__(self, keys: list[Any]) -> list[Any]:
        """A batch (the DataLoader asks for one at a time): through the dataset's
        ``seeded_items(keys)`` where it has one, which must give what reading each key alone
        gives (e.g. augment the whole batch at once), else key by key."""
        batch = getattr(self.dataset, "seeded_items", None)
        if batch is not None and all(isinstance(key, tuple) for key in keys):
            return batch(keys)
        return [self[key] for key in keys]


def set_loader_epoch(loader: Any, epoch: int) -> None:
    """Tell a loader's sampler (or batch sampler) which epoch starts: its order depends on it."""
    for sampler in (getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)


def epoch_sampler(loader: Any) -> Any:
    """The loader's sampler that knows epochs (:class:`EpochShuffle` or a bucket batch sampler)."""
    for sampler in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
        if hasattr(sampler, "resume_at"):
            return sampler
    return None


__all__ = ["EpochShuffle", "SeededSamples", "epoch_generator", "epoch_sampler", "set_loader_epoch"]

"""What every dataset hands to training: three splits plus the facts a run folder records."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from shendu.data.specs import ImageSpec, InputSpec
from shendu.errors import RunFolderError, ShenduError

__all__ = ["ArrayDataset", "ArrayImageDataset", "DataBundle", "ImageSpec", "InputSpec", "TestSource",
           "dataset_checksum"]

_DATA_PREFIX = "shendu.data."


@dataclass(frozen=True)
class TestSource:
    """How ``shendu evaluate`` rebuilds a run's test split alone, from model.json's ``test_data``.

    ``builder`` names a function in ``shendu.data`` (``"shendu.data.digits:digits_bundle"``),
    called with ``kwargs`` and, if it takes them, ``spec`` (the run's input spec) and
    ``run_dir`` (for saved preprocessing such as ``tokenizer.json``). It returns the test
    dataset, or a DataBundle whose ``test`` is used. Nothing is trained: preprocessing comes
    from the run folder.
    """

    builder: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"builder": self.builder, "kwargs": self.kwargs}

    def build(self, spec: InputSpec, run_dir: Path) -> Dataset:
        module_name, _, attr = self.builder.partition(":")
        if not module_name.startswith(_DATA_PREFIX) or not attr:
            raise RunFolderError(f"model.json `test_data.builder` must name a function in shendu.data as "
                                 f"'shendu.data.<module>:<function>'; got {self.builder!r}.")
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            raise RunFolderError(f"model.json names the test-data builder {self.builder!r}, which this version of "
                                 "shendu does not have. Use the shendu version that trained the run.") from None
        accepted = inspect.signature(fn).parameters
        extra = {k: v for k, v in (("spec", spec), ("run_dir", Path(run_dir))) if k in accepted}
        try:
            made = fn(**self.kwargs, **extra)
        except ShenduError:
            raise
        except (TypeError, ValueError) as exc:  # a hand-edited kwarg the builder cannot take
            raise RunFolderError(f"model.json `test_data.kwargs` do not fit {self.builder!r}: "
                                 f"{str(exc).rstrip('.')[:300]}. Restore model.json from the run, or train "
                                 "again.") from None
        return made.test if isinstance(made, DataBundle) else made


def dataset_checksum(dataset: Dataset) -> str:
    """SHA-256 of every example of ``dataset`` exactly as a model reads it (tensors, arrays,
    numbers, strings, nested in tuples, lists and dicts): the same split gives the same digest."""
    digest = hashlib.sha256()

    def feed(item: Any) -> None:
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().numpy()
        if isinstance(item, np.ndarray):
            digest.update(str((item.dtype.str, item.shape)).encode())
            digest.update(np.ascontiguousarray(item).tobytes())
        elif isinstance(item, dict):
            for key in sorted(item):
                digest.update(str(key).encode())
                feed(item[key])
        elif isinstance(item, list | tuple):
            digest.update(b"(")
            for part in item:
                feed(part)
            digest.update(b")")
        else:
            digest.update(repr(item).encode())

    for index in range(len(dataset)):  # type: ignore[arg-type]
        feed(dataset[index])
    return digest.hexdigest()


@dataclass
class DataBundle:
    """Train/val/test datasets of one recipe, with labels and provenance.

    A dataset whose examples cannot be stacked by torch's default (padded texts, detection
    images with their boxes) carries its batching function as a ``collate_fn`` attribute;
    training and evaluation loaders use it.

    Args:
        train, val, test: torch datasets yielding ``(input, label)``.
        labels: class names, index = class id.
        source: a human-readable description of where the data came from.
        checksum: SHA-256 of the arrays that were read.
        input_spec: how predict/serve turn a raw input into a model input.
        extra: recipe-specific facts for the report (sizes, split seed, ...).
        files: text files the run folder must hold to use the model, by name (e.g. the
            ``tokenizer.json`` of a text model); written before the weights.
        test_source: how ``shendu evaluate`` rebuilds the test split alone (model.json's
            ``test_data``); ``None``: the run cannot be evaluated from its folder.
    """

    train: Dataset
    val: Dataset
    test: Dataset
    labels: list[str]
    source: str
    checksum: str
    input_spec: InputSpec
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    test_source: TestSource | None = None

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}  # type: ignore[arg-type]


class ArrayImageDataset(Dataset):
    """Images in one array ``(N, H, W)`` or ``(N, C, H, W)`` with integer labels.

    ``images`` is uint8 (0-255) or float32 already scaled to [0, 1].

    ``transform`` (if any) receives a float tensor ``(C, H, W)`` in [0, 1] and returns the
    model input; augmentation and normalisation live there.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if images.ndim == 3:
            images = images[:, None]  # (N, H, W) -> (N, 1, H, W)
        if len(images) != len(labels):
            raise ValueError(f"images and labels differ in length: {len(images)} != {len(labels)}")
        self.images = torch.from_numpy(np.ascontiguousarray(images))
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.scale = 1 / 255.0 if self.images.dtype == torch.uint8 else 1.0
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float() * self.scale
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


class ArrayDataset(Dataset):  # noqa: D101 (feature vectors, used by tabular recipes)
    """Feature vectors ``(N, D)`` (float32) with integer labels."""

    def __init__(self, features: np.ndarray, labels: np.ndarray) -> None:
        self.features = torch.as_tensor(np.asarray(features, dtype=np.float32))
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.features[index], self.labels[index]

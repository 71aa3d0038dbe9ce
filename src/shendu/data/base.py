"""What every dataset hands to training: three splits plus the facts a run folder records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset


@dataclass(frozen=True)
class ImageSpec:
    """How a raw image becomes a model input; stored in model.json for predict and serve.

    Args:
        channels: 1 for grayscale, 3 for RGB.
        height, width: input size in pixels.
        mean, std: per-channel normalisation applied to pixels scaled to [0, 1].
        invert: ``"auto"`` inverts images whose border is bright (black ink on white paper)
            so they look like the white-on-black training digits; ``"never"`` does not.
    """

    channels: int
    height: int
    width: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    invert: str = "never"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "image", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageSpec:
        return cls(
            channels=int(d["channels"]),
            height=int(d["height"]),
            width=int(d["width"]),
            mean=tuple(float(m) for m in d["mean"]),
            std=tuple(float(s) for s in d["std"]),
            invert=str(d.get("invert", "never")),
        )


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
    """

    train: Dataset
    val: Dataset
    test: Dataset
    labels: list[str]
    source: str
    checksum: str
    input_spec: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

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

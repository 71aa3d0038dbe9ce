"""Classifiers for image folders: a small CNN, and torchvision ResNets with a new head."""

from __future__ import annotations

import torch
from torch import nn
from torchvision import models as tv

__all__ = ["SmallCNN", "resnet_classifier", "small_cnn"]


class SmallCNN(nn.Module):
    """Three conv-relu-pool stages, global average pooling, dropout, one linear head.

    Works on any input size; ``fc`` is the head (what fine-tuning trains first).
    """

    def __init__(self, num_classes: int, in_channels: int = 3, dropout: float = 0.3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(torch.flatten(self.features(x), 1)))  # (N, 128, 1, 1) -> (N, 128)


def small_cnn(num_classes: int, in_channels: int = 3) -> SmallCNN:
    return SmallCNN(num_classes, in_channels)


def resnet_classifier(arch: str, num_classes: int) -> nn.Module:
    """``resnet18`` or ``resnet50`` (random weights) with a ``num_classes`` head as ``fc``.

    Pretrained weights are loaded by the caller (models do no I/O); the head is replaced
    after loading, so ImageNet weights fit first.
    """
    builders = {"resnet18": tv.resnet18, "resnet50": tv.resnet50}
    if arch not in builders:
        raise ValueError(f"arch must be one of {sorted(builders)}; got {arch!r}")
    model = builders[arch](weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model

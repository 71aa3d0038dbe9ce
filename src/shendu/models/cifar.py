"""The documents' CIFAR-10 networks: a 3-conv SimpleCNN with dropout and a LeNet-style net."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LeNet", "SimpleCNN", "lenet", "simple_cnn"]


class SimpleCNN(nn.Module):
    """conv32 -> pool -> conv64 -> pool -> conv128 -> pool -> fc512 -> dropout -> fc.

    Shape: input ``(N, 3, 32, 32)``, output logits ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(128 * 4 * 4, 512)
        self.fc2 = nn.Linear(512, num_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))  # 32x32 -> 16x16
        x = self.pool(F.relu(self.conv2(x)))  # 16x16 -> 8x8
        x = self.pool(F.relu(self.conv3(x)))  # 8x8 -> 4x4
        x = torch.flatten(x, 1)  # (N, 128, 4, 4) -> (N, 2048)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


class LeNet(nn.Module):
    """LeNet-style conv6(5x5) -> pool -> conv16(5x5) -> pool -> fc120 -> fc84 -> fc.

    Shape: input ``(N, 3, 32, 32)``, output logits ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))  # 32 -> 28 -> 14
        x = self.pool(F.relu(self.conv2(x)))  # 14 -> 10 -> 5
        x = torch.flatten(x, 1)  # (N, 16, 5, 5) -> (N, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def simple_cnn(num_classes: int = 10, dropout: float = 0.5) -> SimpleCNN:
    return SimpleCNN(num_classes, dropout)


def lenet(num_classes: int = 10) -> LeNet:
    return LeNet(num_classes)

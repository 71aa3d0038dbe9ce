"""MNISTNet: the documents' CNN for handwritten digits (the PyTorch MNIST example network)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MNISTNet", "mnist_net"]


class MNISTNet(nn.Module):
    """conv32 -> conv64 -> maxpool -> dropout -> fc128 -> dropout -> fc10.

    Returns logits; the documents end with ``log_softmax`` and ``nll_loss``, which is the
    same loss as ``cross_entropy`` on logits, and logits keep ``softmax`` available for
    probabilities at predict time.

    Args:
        in_channels: image channels (1 for MNIST).
        num_classes: number of output classes.
        image_size: side of the square input (28 for MNIST).
        conv1, conv2, hidden: the widths (32, 64, 128 in the documents); smaller ones make
            the students of ``shendu distill`` and the layers structured pruning shrinks.
        pool: the max-pool's window and stride (2 in the documents); 4 gives fc1 a quarter
            of the inputs, which is most of the parameters a small student saves.

    Shape:
        input ``(N, in_channels, image_size, image_size)``, output ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, conv1: int = 32,
                 conv2: int = 64, hidden: int = 128, pool: int = 2) -> None:
        super().__init__()
        self.pool = pool
        self.conv1 = nn.Conv2d(in_channels, conv1, 3, 1)
        self.conv2 = nn.Conv2d(conv1, conv2, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        side = (image_size - 4) // pool  # two valid 3x3 convs, then a pool x pool max-pool
        self.fc1 = nn.Linear(conv2 * side * side, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, self.pool)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)  # (N, 64, s, s) -> (N, 64*s*s)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


def mnist_net(in_channels: int = 1, num_classes: int = 10, image_size: int = 28, conv1: int = 32, conv2: int = 64,
              hidden: int = 128, pool: int = 2) -> MNISTNet:
    return MNISTNet(in_channels, num_classes, image_size, conv1, conv2, hidden, pool)

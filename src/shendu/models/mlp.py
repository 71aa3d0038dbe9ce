"""The documents' two-layer network (SimpleNeuralNetwork), here as a torch module."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SingleLayerNet", "TwoLayerNet", "digits_mlp", "xor_net"]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class TwoLayerNet(nn.Module):
    """input -> Linear -> activation -> Linear -> logits.

    The documents' version ends in a sigmoid trained with squared error; for one-of-K
    classification we return logits for softmax cross-entropy, the loss whose gradient at
    the output is the same ``output - target`` the documents derive by hand.

    Args:
        in_features: size of the (flattened) input.
        hidden: hidden units.
        out_features: number of classes.
        activation: ``"tanh"`` (the documents' choice), ``"relu"`` or ``"sigmoid"``.

    Shape:
        input ``(N, *)`` flattening to ``(N, in_features)``; output ``(N, out_features)``.
    """

    def __init__(self, in_features: int, hidden: int, out_features: int, activation: str = "tanh") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got {activation!r}")
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.activation = _ACTIVATIONS[activation]()
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.activation(self.fc1(self.flatten(x))))


def digits_mlp(hidden: int = 64, activation: str = "tanh", num_classes: int = 10, in_features: int = 64) -> TwoLayerNet:
    return TwoLayerNet(in_features, hidden, num_classes, activation)


class SingleLayerNet(nn.Module):
    """input -> Linear -> logits: the documents' single-layer network (a perceptron).

    Its decision boundary is a straight line, so it cannot separate XOR (Minsky & Papert,
    *Perceptrons*, 1969); at best it gets 3 of the 4 XOR points right.
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc1(self.flatten(x))


def xor_net(hidden: int = 4, activation: str = "tanh") -> nn.Module:
    """XOR classifier: two inputs, two logits; ``hidden=0`` gives the single-layer network."""
    if hidden == 0:
        return SingleLayerNet(2, 2)
    return TwoLayerNet(2, hidden, 2, activation)

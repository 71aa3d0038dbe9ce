"""Scratch twins of the torch models in `shendu.models`: same factories, same state-dict keys.

Each class here has the constructor, attribute names and forward of its torch namesake
(`shendu.models.mnist.MNISTNet`, `shendu.models.mlp.TwoLayerNet` / `SingleLayerNet`, and the text
classifiers of `shendu.models.text`, which live in `zoo_text.py`), so a
torch `state_dict()` loads into the twin with `strict=True` and back, and both compute the
same function. Models do no I/O and no training.

    from shendu.scratch import zoo
    model = zoo.mnist_net()            # keys: conv1.weight, conv1.bias, ..., fc2.bias
"""

from __future__ import annotations

from . import functional as F
from . import nn
from .ops.shape import flatten
from .tensor import Tensor
from .zoo_text import LSTMClassifier, TransformerClassifier, lstm_classifier, transformer_classifier

__all__ = ["LSTMClassifier", "MNISTNet", "SingleLayerNet", "TransformerClassifier", "TwoLayerNet", "digits_mlp",
           "lstm_classifier", "mnist_net", "transformer_classifier", "xor_net"]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class MNISTNet(nn.Module):
    """conv32 -> conv64 -> maxpool -> dropout -> fc128 -> dropout -> fc10 (PyTorch's MNIST example).

    Returns logits (the example's log_softmax + nll_loss is cross_entropy on these).

    Args:
        in_channels: image channels (1 for MNIST).
        num_classes: number of output classes.
        image_size: side of the square input (28 for MNIST).
        conv1, conv2, hidden: the widths (32, 64, 128 in the documents); smaller ones make
            the students of ``shendu distill`` and the layers structured pruning shrinks.
        pool: the max-pool's window and stride (2 in the documents); 4 gives fc1 a quarter
            of the inputs, which is most of the parameters a small student saves.

    Shape:
        input (N, in_channels, image_size, image_size), output (N, num_classes).
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

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, self.pool)
        x = self.dropout1(x)
        x = flatten(x, 1)  # (N, 64, s, s) -> (N, 64*s*s)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


class TwoLayerNet(nn.Module):
    """input -> Linear -> activation -> Linear -> logits (the documents' SimpleNeuralNetwork).

    Args:
        in_features: size of the (flattened) input.
        hidden: hidden units.
        out_features: number of classes.
        activation: "tanh" (the documents' choice), "relu" or "sigmoid".

    Shape:
        input (N, *) flattening to (N, in_features); output (N, out_features).

    Raises:
        ValueError: an unknown activation.
    """

    def __init__(self, in_features: int, hidden: int, out_features: int, activation: str = "tanh") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got {activation!r}")
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.activation = _ACTIVATIONS[activation]()
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.activation(self.fc1(self.flatten(x))))


class SingleLayerNet(nn.Module):
    """input -> Linear -> logits: a perceptron, whose straight decision boundary cannot separate XOR.

    Minsky & Papert, *Perceptrons*, 1969.
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc1(self.flatten(x))


def mnist_net(in_channels: int = 1, num_classes: int = 10, image_size: int = 28, conv1: int = 32, conv2: int = 64,
              hidden: int = 128, pool: int = 2) -> MNISTNet:
    return MNISTNet(in_channels, num_classes, image_size, conv1, conv2, hidden, pool)


def digits_mlp(hidden: int = 64, activation: str = "tanh", num_classes: int = 10, in_features: int = 64) -> TwoLayerNet:
    return TwoLayerNet(in_features, hidden, num_classes, activation)


def xor_net(hidden: int = 4, activation: str = "tanh") -> nn.Module:
    """XOR classifier: two inputs, two logits; hidden=0 gives the single-layer network."""
    if hidden == 0:
        return SingleLayerNet(2, 2)
    return TwoLayerNet(2, hidden, 2, activation)

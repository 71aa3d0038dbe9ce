"""The documents' two-layer network with backpropagation derived by hand, in NumPy.

Source 000 ("深度学习的核心技术", 1. 反向传播算法) writes ``SimpleNeuralNetwork``: a tanh hidden
layer, a sigmoid output, and a ``backward`` that applies the chain rule by hand::

    dz2 = output - y
    dW2 = (1/m) a1.T @ dz2          db2 = (1/m) sum(dz2, axis=0)
    dz1 = dz2 @ W2.T * (1 - a1**2)  # tanh'(z1) = 1 - tanh(z1)^2
    dW1 = (1/m) X.T @ dz1           db1 = (1/m) sum(dz1, axis=0)

``dz2 = output - y`` is the gradient, with respect to the output layer's input z2, of the
cross-entropy loss (times m): for a sigmoid output and binary cross-entropy, and equally for a
softmax output and the multi-class cross-entropy. (The documents print the squared error,
``mean((output - y)**2)``, whose gradient is different; the lab shows by how much.) Weights are
laid out as the documents lay them, ``X @ W1`` (``W1`` is ``(inputs, hidden)``), the transpose
of ``nn.Linear.weight``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARAMETERS = ("W1", "b1", "W2", "b2")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -250, 250)))  # the documents' clip: no overflow warning


def softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@dataclass
class SimpleNeuralNetwork:
    """X -> z1 = X W1 + b1 -> a1 = tanh(z1) -> z2 = a1 W2 + b2 -> a2 = sigmoid(z2) (one output)
    or softmax(z2) (several outputs, one-hot targets).

    Attributes:
        W1: ``(inputs, hidden)``; b1: ``(1, hidden)``; W2: ``(hidden, outputs)``; b2: ``(1, outputs)``.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    @classmethod
    def init(cls, rng: np.random.Generator, inputs: int, hidden: int, outputs: int, scale: float = 0.01,
             dtype: str = "float64") -> SimpleNeuralNetwork:
        """The documents' start: weights ``randn * scale`` (they use 0.01), biases zero."""
        return cls((rng.standard_normal((inputs, hidden)) * scale).astype(dtype), np.zeros((1, hidden), dtype),
                   (rng.standard_normal((hidden, outputs)) * scale).astype(dtype), np.zeros((1, outputs), dtype))

    @property
    def binary(self) -> bool:
        return self.W2.shape[1] == 1

    def forward(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The forward pass, keeping what backward needs: z1, a1, z2, a2."""
        z1 = X @ self.W1 + self.b1  # (m, hidden)
        a1 = np.tanh(z1)
        z2 = a1 @ self.W2 + self.b2  # (m, outputs)
        a2 = sigmoid(z2) if self.binary else softmax(z2)
        return {"z1": z1, "a1": a1, "z2": z2, "a2": a2}

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Mean cross-entropy: binary for one output, multi-class (one-hot ``Y``) for several."""
        a2 = self.forward(X)["a2"]
        eps = np.finfo(a2.dtype).tiny
        if self.binary:
            return float(-np.mean(Y * np.log(a2 + eps) + (1 - Y) * np.log(1 - a2 + eps)))
        return float(-np.mean(np.sum(Y * np.log(a2 + eps), axis=1)))

    def backward(self, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        """The documents' hand-derived gradients of :meth:`loss` (see the module docstring)."""
        m = X.shape[0]
        cache = self.forward(X)
        a1 = cache["a1"]
        dz2 = cache["a2"] - Y  # (m, outputs)
        dW2 = (1 / m) * a1.T @ dz2
        db2 = (1 / m) * np.sum(dz2, axis=0, keepdims=True)
        dz1 = (dz2 @ self.W2.T) * (1 - a1**2)  # (m, hidden)
        dW1 = (1 / m) * X.T @ dz1
        db1 = (1 / m) * np.sum(dz1, axis=0, keepdims=True)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """Gradient descent: ``p -= lr * dp`` for each parameter."""
        for name in PARAMETERS:
            getattr(self, name)[...] -= lr * grads[name]

    def predict(self, X: np.ndarray) -> np.ndarray:
        a2 = self.forward(X)["a2"]
        return (a2[:, 0] > 0.5).astype(np.int64) if self.binary else a2.argmax(axis=1)

    def linear_state(self) -> dict[str, np.ndarray]:
        """The same weights as an ``nn.Sequential(Linear, Tanh, Linear)`` state dict."""
        return {"0.weight": self.W1.T.copy(), "0.bias": self.b1[0].copy(),
                "2.weight": self.W2.T.copy(), "2.bias": self.b2[0].copy()}


def one_hot(labels: np.ndarray, classes: int, dtype: str = "float64") -> np.ndarray:
    out = np.zeros((len(labels), classes), dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def autograd_gradients(engine: object, net: SimpleNeuralNetwork, X: np.ndarray, Y: np.ndarray,
                       loss: str = "cross_entropy") -> dict[str, np.ndarray]:
    """The same network's gradients by an engine's autograd (``engine``: :class:`shendu.lab.engines.Engine`),
    in the documents' weight layout, for ``loss`` ``"cross_entropy"`` (the engine's own loss
    function: binary or multi-class) or ``"squared_error"`` (the documents' printed
    ``mean((a2 - y)**2)``)."""
    params = {name: engine.tensor(getattr(net, name), requires_grad=True) for name in PARAMETERS}
    a1 = engine.lib.tanh(engine.tensor(X) @ params["W1"] + params["b1"])
    z2 = a1 @ params["W2"] + params["b2"]
    target = engine.tensor(Y)
    if loss == "squared_error":
        a2 = engine.lib.sigmoid(z2) if net.binary else engine.lib.softmax(z2, 1)
        value = ((a2 - target) ** 2).mean()
    elif net.binary:
        value = engine.F.binary_cross_entropy(engine.lib.sigmoid(z2), target)
    else:
        value = engine.F.cross_entropy(z2, engine.tensor(Y.argmax(axis=1)))
    value.backward()
    return {name: engine.numpy(tensor.grad) for name, tensor in params.items()}


def max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """The largest absolute difference between two sets of gradients."""
    return max(float(np.max(np.abs(a[name] - b[name]))) for name in PARAMETERS)

"""The documents' momentum, in its (1 - beta) averaging form, for either engine.

Source 000's ``Optimizer.momentum`` (深度学习的核心技术, 2. 梯度下降优化) writes::

    velocities[i] = beta * velocities[i] + (1 - beta) * grad
    param -= learning_rate * velocities[i]

The velocity is an exponential moving average of the gradients, starting at zero. torch's
``SGD(momentum=beta)`` keeps a sum instead (Sutskever et al., ICML 2013)::

    buf = grad (first step), then buf = beta * buf + grad
    param -= lr * buf

Averaging scales every step by (1 - beta), and nothing else: by induction v_t = (1 - beta) buf_t
(v_1 = (1 - beta) g_1 = (1 - beta) buf_1, and both recurrences are linear), so the documents' form
at lr eta is exactly torch's momentum at lr (1 - beta) eta; with beta = 0.9, a tenth of the step.
torch's ``SGD(momentum=beta, dampening=beta)`` averages too, but starts its buffer at the first
gradient undamped, so it differs from the documents' form in the first steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


class AveragedMomentum:
    """``v <- beta v + (1 - beta) g; p <- p - lr v`` on torch or shendu.scratch parameters.

    It updates each parameter's array in place through its NumPy view (``p.detach().numpy()``
    shares memory in both engines), so one class serves both.

    Args:
        params: the parameters (leaf tensors of either engine).
        lr: the learning rate.
        beta: the averaging factor, in [0, 1).

    Raises:
        ValueError: lr < 0 or beta outside [0, 1).
    """

    def __init__(self, params: Iterable[Any], lr: float, beta: float = 0.9) -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must be in [0, 1) (the share of the old average kept each step); got {beta}")
        self.params = list(params)
        self.lr, self.beta = lr, beta
        self.velocities = [np.zeros(p.detach().numpy().shape, p.detach().numpy().dtype) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, velocity in zip(self.params, self.velocities, strict=True):
            if p.grad is None:
                continue
            velocity *= self.beta
            velocity += (1 - self.beta) * p.grad.numpy()
            data = p.detach().numpy()  # the parameter's own memory
            data -= self.lr * velocity

"""RMSprop: scale each step by a running root-mean-square of the gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_non_negative


class RMSprop(Optimizer):
    """With g = grad + weight_decay * p, as torch:

        v <- alpha v + (1 - alpha) g^2
        centered: m <- alpha m + (1 - alpha) g, denom = sqrt(v - m^2) + eps; else sqrt(v) + eps
        momentum > 0: buf <- momentum buf + g / denom, p <- p - lr buf; else p <- p - lr g / denom

    Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e, 2012;
    centered variant: Graves, "Generating Sequences With Recurrent Neural Networks", 2013.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad.data
            if weight_decay:
                g = g + weight_decay * p.data
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p.data)
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(p.data)
                if centered:
                    state["grad_avg"] = np.zeros_like(p.data)
            state["step"] += 1
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * g * g
            if centered:
                grad_avg = state["grad_avg"]
                grad_avg += (1 - alpha) * (g - grad_avg)  # torch's lerp toward g
                denom = np.sqrt(square_avg - grad_avg * grad_avg) + eps
            else:
                denom = np.sqrt(square_avg) + eps
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += g / denom
                p.data -= lr * buf
            else:
                p.data -= lr * (g / denom)

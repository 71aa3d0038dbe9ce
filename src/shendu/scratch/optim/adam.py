"""Adam and AdamW: momentum and RMS scaling with bias correction."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, check_non_negative


class Adam(Optimizer):
    """With g = grad + weight_decay * p and step t, as torch:

        m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2
        amsgrad: v_max <- max(v_max, v) and v_max replaces v below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015; AMSGrad: Reddi,
    Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.

    Raises:
        ValueError: negative lr/eps/weight_decay or a beta outside [0, 1).
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad.data
            if weight_decay:
                if self.decoupled_weight_decay:
                    p.data *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * p.data
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
                if amsgrad:
                    state["max_exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            t = state["step"]
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg += (1 - beta1) * (g - exp_avg)  # torch's lerp toward g
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            if amsgrad:
                np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                exp_avg_sq = state["max_exp_avg_sq"]
            step_size = lr / (1 - beta1**t)
            denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**t) + eps
            p.data -= step_size * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr weight_decay) before the Adam step.

    Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

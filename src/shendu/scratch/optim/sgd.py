"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from .optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """p <- p - lr * d, with d built from g = grad + weight_decay * p as in torch:

        buf <- g (first step), then buf <- momentum * buf + (1 - dampening) * g
        d = g + momentum * buf (nesterov) or buf (momentum) or g (plain)

    Robbins & Monro, "A Stochastic Approximation Method", 1951; momentum: Polyak, 1964;
    Nesterov momentum as in Sutskever et al., "On the importance of initialization and
    momentum in deep learning", ICML 2013.

    Raises:
        ValueError: negative lr/momentum/weight_decay, or nesterov without momentum or with dampening.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad.data
            if weight_decay:
                g = g + weight_decay * p.data
            if momentum:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    buf += (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p.data -= lr * g

"""Full-batch training of a small classifier in plain torch, for the baselines a report puts
beside its model (XOR's single-layer network): no Lightning, no run folder."""

from __future__ import annotations

import torch
from torch import nn

from shendu.train.config import TrainConfig
from shendu.train.module import build_optimizer


def fit_full_batch(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, config: TrainConfig) -> float:
    """Train ``model`` on all of ``inputs`` at once for ``config.epochs`` steps with
    ``config``'s optimizer and rate (cross-entropy); return its accuracy on them. Full-batch
    steps draw no random numbers: seed before building ``model`` to repeat a run."""
    optimizer = build_optimizer(model.parameters(), config)
    for _ in range(config.epochs):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    with torch.no_grad():
        return float((model(inputs).argmax(1) == targets).float().mean())

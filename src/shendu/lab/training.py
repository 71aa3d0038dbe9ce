"""One mini-batch training loop for classifiers, on either engine, with what the lab measures.

The batches come from a NumPy generator seeded by the caller, so two runs with the same seed
(two optimizers, two activations, two engines) see the same examples in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from shendu.lab.data import Split
from shendu.lab.engines import Engine


def batches(n: int, batch_size: int, epochs: int, seed: int) -> list[list[np.ndarray]]:
    """Per epoch, the shuffled index batches of ``0..n-1`` (the last one may be smaller)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out.append([order[i:i + batch_size] for i in range(0, n, batch_size)])
    return out


def evaluate(engine: Engine, model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``x``, ``y``."""
    with engine.lib.no_grad():
        logits = model(engine.tensor(x))
        loss = float(engine.F.cross_entropy(logits, engine.tensor(y)).item())
        predicted = engine.numpy(logits).argmax(axis=1)
    return loss, float((predicted == y).mean())


def linear_layers(model: Any) -> list[tuple[str, Any]]:
    """The Linear layers of a Sequential, by their index in it (``"0"``, ``"2"``, ...)."""
    return [(str(i), layer) for i, layer in enumerate(model) if hasattr(layer, "weight")]


def train_classifier(engine: Engine, model: Any, optimizer: Any, data: Split, epochs: int, batch_size: int,
                     seed: int, grad_norms: bool = False,
                     on_epoch: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train ``model`` with ``optimizer`` on softmax cross-entropy; return per-epoch curves.

    Returns:
        ``train_loss`` (mean over the epoch's batches), ``test_loss``, ``test_acc`` (held out,
        after each epoch), and with ``grad_norms`` the mean L2 norm of each Linear weight's
        gradient per epoch (``grad_norm`` by layer index). Non-finite losses end the epoch
        loop early (a diverged optimizer): the curves are then shorter.
    """
    x, y = engine.tensor(data.x_train), data.y_train
    targets = engine.tensor(y)
    layers = linear_layers(model) if grad_norms else []
    history: dict[str, Any] = {"train_loss": [], "test_loss": [], "test_acc": []}
    norms: dict[str, list[float]] = {name: [] for name, _ in layers}
    for epoch, epoch_batches in enumerate(batches(len(y), batch_size, epochs, seed), start=1):
        model.train()
        losses, sums = [], {name: 0.0 for name, _ in layers}
        for index in epoch_batches:
            optimizer.zero_grad()
            loss = engine.F.cross_entropy(model(x[index]), targets[index])
            loss.backward()
            for name, layer in layers:
                sums[name] += float(np.linalg.norm(engine.numpy(layer.weight.grad)))
            optimizer.step()
            losses.append(float(loss.item()))
        model.eval()
        train_loss = float(np.mean(losses))
        if not np.isfinite(train_loss):
            break
        test_loss, test_acc = evaluate(engine, model, data.x_test, data.y_test)
        history["train_loss"].append(train_loss)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        for name in norms:
            norms[name].append(sums[name] / len(epoch_batches))
        if on_epoch is not None:
            on_epoch(epoch, history)
    if grad_norms:
        history["grad_norm"] = norms
    return history


def epochs_to(curve: list[float], target: float) -> int | None:
    """The first epoch (1-based) whose value reaches ``target``; ``None`` if none does."""
    return next((i for i, value in enumerate(curve, start=1) if value >= target), None)

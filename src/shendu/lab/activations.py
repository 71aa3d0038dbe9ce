"""`shendu lab activations`: sigmoid, tanh, ReLU, leaky ReLU and GELU, their derivatives, and the
same network trained with each."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import ACTIVATIONS, Engine, linear_init
from shendu.lab.stats import pct
from shendu.lab.training import linear_layers, train_classifier

TITLE = "Activations: derivatives, and the same network trained with each"
QUESTION = (
    "Source 000 plots sigmoid, tanh, ReLU and leaky ReLU and lists their trade-offs (sigmoid and tanh: vanishing "
    "gradients; ReLU: dying neurons; leaky ReLU: fixes them); source 001 asks to derive the sigmoid and ReLU "
    "derivatives and to compare activations by the model's performance. This experiment draws each function and "
    "its derivative (analytic, checked against autograd), then trains one network - the 8x8 digits, three hidden "
    "layers, plain SGD - once per activation from the same initial weights on the same batches, and measures the "
    "loss, the held-out accuracy, the share of hidden units that never switch on, and the gradient norm that "
    "reaches each layer."
)
NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU", "gelu": "GELU"}


@dataclass
class Settings:
    """Sizes of the activations experiment (defaults: about 40 s on 2 cores)."""

    hidden: list[int] = field(default_factory=lambda: [64, 64, 64])
    epochs: int = 30
    batch_size: int = 32
    lr: float = 0.05
    train_limit: int | None = None
    grid_points: int = 161


QUICK = Settings(hidden=[16, 16], epochs=2, train_limit=300, grid_points=41)


# -- the functions ---------------------------------------------------------------------------------


def analytic_derivative(name: str, x: np.ndarray) -> np.ndarray:
    """The derivatives derived by hand (at 0, ReLU's is taken as 0 and leaky ReLU's as 0.01, as torch does)."""
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    if name == "relu":
        return (x > 0).astype(x.dtype)
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, 0.01)
    erf = np.vectorize(math.erf)(x / math.sqrt(2))  # GELU(x) = x Φ(x); GELU'(x) = Φ(x) + x φ(x)
    return 0.5 * (1 + erf) + x * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def run_once(settings: Settings, engine: Engine) -> dict[str, Any]:
    """Each activation and its derivative by autograd on a grid, and the largest gap to the analytic one."""
    x = np.linspace(-4, 4, settings.grid_points)
    out: dict[str, Any] = {"x": x}
    for name in ACTIVATIONS:
        inputs = engine.tensor(x, requires_grad=True)
        values = engine.activation(name)(inputs)
        values.sum().backward()
        derivative = engine.numpy(inputs.grad)
        out[name] = {"value": engine.numpy(values), "derivative": derivative,
                     "max_difference": float(np.max(np.abs(derivative - analytic_derivative(name, x))))}
    return out


# -- one seed -----------------------------------------------------------------------------------


def never_positive_share(engine: Engine, model: Any, x: np.ndarray) -> float:
    """The share of hidden units whose input is <= 0 on every example of ``x``: a ReLU unit like
    that is dead (its output and its gradient are zero whatever the example)."""
    never, total = 0, 0
    layers = [layer for _, layer in linear_layers(model)]
    with engine.lib.no_grad():
        h = engine.tensor(x)
        for layer in model:
            h = layer(h)
            if layer is not layers[-1] and any(layer is linear for linear in layers):
                z = engine.numpy(h)  # (N, units)
                never += int(np.sum(np.all(z <= 0, axis=0)))
                total += z.shape[1]
    return never / total


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """The same network, start and batches, once per activation."""
    data = digits(settings.train_limit)
    sizes = (64, *settings.hidden, 10)
    start = linear_init(np.random.default_rng([seed, 0]), sizes)
    out = {}
    for name in ACTIVATIONS:
        model = engine.load(engine.mlp(sizes, name), start)
        optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr)
        history = train_classifier(engine, model, optimizer, data, settings.epochs, settings.batch_size, seed,
                                   grad_norms=True)
        norms = [history["grad_norm"][key][0] for key in sorted(history["grad_norm"], key=int)]  # first epoch
        out[name] = {"train_loss": history["train_loss"], "test_acc": history["test_acc"],
                     "final_test_acc": history["test_acc"][-1] if history["test_acc"] else None,
                     "never_positive": never_positive_share(engine, model, data.x_train),
                     "grad_norm_first_epoch": norms, "first_to_last": norms[0] / norms[-1]}
    return out


# -- conclusions ----------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """Best and worst activation, where gradients vanish, dead ReLUs, and the derivative check."""
    names = [name for name in ACTIVATIONS if name in results]
    accuracy = {name: results[name]["final_test_acc"]["mean"] for name in names}
    ranked = sorted(names, key=lambda name: -1.0 if accuracy[name] is None else accuracy[name], reverse=True)
    best, worst = ranked[0], ranked[-1]
    epochs = len(results[best]["test_acc"]["mean"])
    first = (f"From the same initial weights and batches, {NAMES[best]} trains the network best: "
             f"{pct(results[best]['final_test_acc'])} held-out accuracy after {epochs} epochs; {NAMES[worst]} worst: "
             f"{pct(results[worst]['final_test_acc'])}, {(accuracy[best] - accuracy[worst]) * 100:.1f} points lower. "
             "In order: " + ", ".join(f"{NAMES[n]} {accuracy[n] * 100:.1f}%" for n in ranked) + ".")
    ratio = {name: results[name]["first_to_last"]["mean"] for name in names}
    shrinks = min(names, key=lambda name: ratio[name])
    second = (f"The gradient shrinks most on its way back with {NAMES[shrinks]}: in the first epoch its first layer "
              f"received gradients {ratio[shrinks]:.2g} times the size of its last layer's, against "
              + ", ".join(f"{ratio[n]:.2g} for {NAMES[n]}" for n in names if n != shrinks)
              + (" (sigmoid's derivative is at most 0.25, and the backward pass multiplies by it once per layer)."
                 if shrinks == "sigmoid" else "."))
    dead = results["relu"]["never_positive"]
    leaky = results["leaky_relu"]["never_positive"]
    third = (f"ReLU ended with {pct(dead)} of its hidden units dead (input <= 0 on every training image, so their "
             f"output and gradient are zero and they have stopped learning)"
             + (f"; leaky ReLU has {pct(leaky)} of its units never positive, but its slope 0.01 keeps them learning."
                if leaky["mean"] else "; leaky ReLU has none never positive, and its slope 0.01 would keep them "
                                      "learning anyway."))
    once = results["once"]
    gap = max(once[name]["max_difference"] for name in names)
    fourth = (f"The derivatives derived by hand agree with autograd to {gap:.1e} at most, on {len(once['x'])} points "
              f"in [{once['x'][0]:g}, {once['x'][-1]:g}]" + ("." if gap < 1e-6 else ": look for the one that differs."))
    return [first, second, third, fourth]


# -- report ---------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    names = [name for name in ACTIVATIONS if name in results]
    layers = len(settings.hidden) + 1
    rows = [(NAMES[n], pct(results[n]["final_test_acc"]), f"{results[n]['train_loss']['mean'][-1]:.3f}",
             pct(results[n]["never_positive"]),
             *(f"{v:.2g}" for v in results[n]["grad_norm_first_epoch"]["mean"]),
             f"{results[n]['first_to_last']['mean']:.2g}") for n in names]
    header = ("activation", "held-out accuracy", "final training loss", "hidden units never positive",
              *(f"grad norm layer {i}" for i in range(1, layers + 1)), "layer 1 / last")
    checks = [(NAMES[n], f"{results['once'][n]['max_difference']:.1e}") for n in names]
    sizes = "-".join(map(str, (64, *settings.hidden, 10)))
    return [
        "## The functions and their derivatives", "",
        *report.picture("activations.png", "activations and derivatives"),
        *report.table(("activation", "largest |analytic - autograd| derivative"), checks), "",
        f"## Training ({sizes} on the digits, SGD lr {settings.lr:g}, batch {settings.batch_size}, "
        f"{settings.epochs} epochs; gradient norms: mean over the first epoch's steps)", "",
        *report.table(header, rows), "",
        *report.picture("training.png", "training curves"),
        *report.picture("gradients.png", "gradient norm by layer"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    names = [name for name in ACTIVATIONS if name in results]
    once = results["once"]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    for name in names:
        axes[0, 0].plot(once["x"], once[name]["value"], label=NAMES[name])
        axes[0, 1].plot(once["x"], once[name]["derivative"], label=NAMES[name])
    plots.finish(axes[0, 0], "activation", "x", "f(x)", ylim=(-1.2, 4.1))
    plots.finish(axes[0, 1], "derivative (autograd)", "x", "f'(x)", legend=False)
    pictures = [plots.save(fig, folder, "activations.png")]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    for name in names:
        plots.band(axes[0, 0], results[name]["train_loss"], NAMES[name])
        plots.band(axes[0, 1], results[name]["test_acc"], NAMES[name])
    plots.finish(axes[0, 0], "training loss", "epoch", "cross-entropy", yscale="log")
    plots.finish(axes[0, 1], "held-out accuracy", "epoch", "accuracy", legend=False)
    pictures.append(plots.save(fig, folder, "training.png"))
    fig, axes = plots.figure(1, 1, 5.6, 3.4)
    ax = axes[0, 0]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        norms = results[name]["grad_norm_first_epoch"]["mean"]
        ax.bar(np.arange(1, len(norms) + 1) + (i - (len(names) - 1) / 2) * width, norms, width, label=NAMES[name])
    plots.finish(ax, "gradient norm reaching each layer (first epoch)", "layer (1 = input side)", "mean |grad W|",
                 yscale="log")
    ax.set_xticks(np.arange(1, len(norms) + 1))
    pictures.append(plots.save(fig, folder, "gradients.png"))
    return pictures

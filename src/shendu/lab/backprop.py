"""`shendu lab backprop`: the documents' SimpleNeuralNetwork with gradients derived by hand,
checked against two autograds, then trained on XOR and on the 8x8 digits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import XOR_INPUTS, XOR_TARGETS, digits
from shendu.lab.engines import Engine, get_engine
from shendu.lab.handnet import SimpleNeuralNetwork, autograd_gradients, max_difference, one_hot
from shendu.lab.stats import count_text, fmt, pct
from shendu.lab.training import batches

TITLE = "Backpropagation by hand: the documents' two-layer network"
QUESTION = (
    "Source 001 asks to derive the backpropagation of a network with one hidden layer by hand and to implement "
    "it with NumPy; source 000 writes it out as `SimpleNeuralNetwork` (tanh hidden layer, sigmoid output, "
    "explicit `dz2 = output - y`, `dW2 = a1.T @ dz2 / m`, ...). This experiment computes those gradients for "
    "random weights and compares them with the gradients two autograd engines compute for the same weights "
    "(shendu.scratch and torch, float64), then trains the network by hand: on XOR with the documents' own "
    "settings and with a larger start and step, and on the 8x8 digits (softmax output, mini-batches) beside "
    "the same network trained by the chosen engine's autograd from the same weights on the same batches."
)
LN2 = math.log(2.0)


@dataclass
class Settings:
    """Sizes of the backprop experiment (defaults: about 15 s on 2 cores)."""

    check_examples: int = 64
    check_hidden: int = 32
    documents_epochs: int = 1000
    documents_lr: float = 0.01
    documents_scale: float = 0.01
    xor_hidden: int = 4
    xor_epochs: int = 2000
    xor_lr: float = 1.0
    xor_scale: float = 1.0
    digits_hidden: int = 32
    digits_epochs: int = 30
    digits_batch_size: int = 32
    digits_lr: float = 0.1
    digits_train_limit: int | None = None
    curve_every: int = 10


QUICK = Settings(check_examples=16, check_hidden=8, documents_epochs=100, xor_epochs=200, digits_hidden=16,
                 digits_epochs=2, digits_train_limit=300)


# -- one seed -----------------------------------------------------------------------------------


def gradient_check(rng: np.random.Generator, X: np.ndarray, Y: np.ndarray, hidden: int,
                   engines: tuple[Engine, ...]) -> dict[str, float]:
    """Largest |hand - autograd| over all four parameters, per engine, for random float64 weights;
    and against the gradient of the squared error (which the hand formula is not)."""
    net = SimpleNeuralNetwork.init(rng, X.shape[1], hidden, Y.shape[1], scale=1.0 / math.sqrt(X.shape[1]))
    net.b1[...] = rng.standard_normal(net.b1.shape) * 0.1  # non-zero biases: their gradients are checked too
    net.b2[...] = rng.standard_normal(net.b2.shape) * 0.1
    hand = net.backward(X, Y)
    out = {engine.name: max_difference(hand, autograd_gradients(engine, net, X, Y)) for engine in engines}
    out["squared_error"] = max_difference(hand, autograd_gradients(engines[-1], net, X, Y, "squared_error"))
    return out


def train_xor(rng: np.random.Generator, hidden: int, epochs: int, lr: float, scale: float, every: int) -> dict[str, Any]:
    """Full-batch gradient descent on the four XOR points with the hand gradients."""
    net = SimpleNeuralNetwork.init(rng, 2, hidden, 1, scale=scale)
    losses, recorded, solved = [], [], None
    for epoch in range(1, epochs + 1):
        net.step(net.backward(XOR_INPUTS, XOR_TARGETS), lr)
        if solved is None and np.array_equal(net.predict(XOR_INPUTS), XOR_TARGETS[:, 0]):
            solved = epoch
        if epoch % every == 0 or epoch == 1:
            losses.append(net.loss(XOR_INPUTS, XOR_TARGETS))
            recorded.append(epoch)
    accuracy = float((net.predict(XOR_INPUTS) == XOR_TARGETS[:, 0]).mean())
    return {"epochs": epochs, "lr": lr, "scale": scale, "loss": losses, "loss_epochs": recorded, "final_loss": net.loss(XOR_INPUTS, XOR_TARGETS), "accuracy": accuracy,
            "epochs_to_solve": solved}


def train_digits(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Hand-derived mini-batch SGD on the digits, and the engine's autograd SGD from the same weights."""
    data = digits(settings.digits_train_limit).astype("float64")
    rng = np.random.default_rng([seed, 2])
    net = SimpleNeuralNetwork.init(rng, 64, settings.digits_hidden, 10, scale=1 / 8)  # 1/sqrt(64 inputs)
    model = engine.load(engine.mlp((64, settings.digits_hidden, 10), "tanh", dtype="float64"), net.linear_state())
    optimizer = engine.optim.SGD(model.parameters(), lr=settings.digits_lr)
    x_engine, y_engine = engine.tensor(data.x_train), engine.tensor(data.y_train)
    Y = one_hot(data.y_train, 10)
    curves: dict[str, dict[str, list[float]]] = {"hand": {"train_loss": [], "test_acc": []},
                                                 "engine": {"train_loss": [], "test_acc": []}}
    for epoch in batches(len(Y), settings.digits_batch_size, settings.digits_epochs, seed):
        hand_losses, engine_losses = [], []
        for index in epoch:
            hand_losses.append(net.loss(data.x_train[index], Y[index]))
            net.step(net.backward(data.x_train[index], Y[index]), settings.digits_lr)
            optimizer.zero_grad()
            loss = engine.F.cross_entropy(model(x_engine[index]), y_engine[index])
            loss.backward()
            optimizer.step()
            engine_losses.append(float(loss.item()))
        curves["hand"]["train_loss"].append(float(np.mean(hand_losses)))
        curves["hand"]["test_acc"].append(float((net.predict(data.x_test) == data.y_test).mean()))
        curves["engine"]["train_loss"].append(float(np.mean(engine_losses)))
        with engine.lib.no_grad():
            logits = engine.numpy(model(engine.tensor(data.x_test)))
        curves["engine"]["test_acc"].append(float((logits.argmax(axis=1) == data.y_test).mean()))
    trained = engine.state(model)
    difference = max(float(np.max(np.abs(trained[k] - v))) for k, v in net.linear_state().items())
    return {**curves, "final_test_acc": curves["hand"]["test_acc"][-1], "max_weight_difference": difference,
            "steps": sum(len(epoch) for epoch in batches(len(Y), settings.digits_batch_size, 1, seed))
            * settings.digits_epochs}


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Gradient check, XOR (documents' and larger settings) and digits, for one seed."""
    references = (get_engine("scratch"), get_engine("torch"))
    data = digits(settings.check_examples)
    rng = np.random.default_rng([seed, 0])
    check_x = data.x_train[: settings.check_examples].astype("float64")
    check = {"xor": gradient_check(rng, XOR_INPUTS, XOR_TARGETS, settings.xor_hidden, references),
             "digits": gradient_check(rng, check_x, one_hot(data.y_train[: settings.check_examples], 10),
                                      settings.check_hidden, references)}
    xor_rng = np.random.default_rng([seed, 1])
    return {
        "check": check,
        "xor_documents": train_xor(xor_rng, settings.xor_hidden, settings.documents_epochs, settings.documents_lr,
                                   settings.documents_scale, settings.curve_every),
        "xor": train_xor(xor_rng, settings.xor_hidden, settings.xor_epochs, settings.xor_lr, settings.xor_scale,
                         settings.curve_every),
        "digits": train_digits(settings, engine, seed),
    }


# -- conclusions ----------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """Sentences about the gradient check, XOR and digits, with this run's figures."""
    check = results["check"]
    worst = {name: max(check[problem][name]["max"] for problem in ("xor", "digits")) for name in ("scratch", "torch")}
    if max(worst.values()) <= 1e-10:
        first = (f"The hand-derived gradients equal autograd's: the largest difference over all weights, both "
                 f"problems and every seed is {worst['scratch']:.1e} against shendu.scratch and {worst['torch']:.1e} "
                 "against torch (float64), within the 1e-10 bar.")
    else:
        first = (f"The hand-derived gradients differ from autograd's by up to {worst['scratch']:.1e} (shendu.scratch) "
                 f"and {worst['torch']:.1e} (torch), above the 1e-10 bar: the derivation or its code has an error.")
    squared = min(check[problem]["squared_error"]["min"] for problem in ("xor", "digits"))
    second = (f"`dz2 = output - y` is the gradient of the cross-entropy loss, not of the squared error the documents "
              f"print (`np.mean((output - y) ** 2)`): against the squared error's gradient the same formula is off "
              f"by at least {squared:.2g} (the largest difference, smallest over problems and seeds).")
    docs, xor = results["xor_documents"], results["xor"]
    loss = docs["final_loss"]["mean"]
    stuck = abs(loss - LN2) < 0.01 * LN2
    third = (f"With the documents' settings (weights x {docs['scale']['mean']:g}, lr {docs['lr']['mean']:g}) the XOR "
             f"loss after {docs['epochs']['mean']:.0f} epochs is {fmt(docs['final_loss'])}"
             + (f", still ln 2 = {LN2:.3f}: it has barely moved, " if stuck else ", ")
             + f"and {pct(docs['accuracy'], 0)} of the four points are right; with weights x {xor['scale']['mean']:g} "
               f"and lr {xor['lr']['mean']:g} the same hand-derived updates solve XOR in "
               f"{count_text(xor['epochs_to_solve'])}"
             + (f", after {fmt(xor['epochs_to_solve'])} epochs." if xor["epochs_to_solve"]["n"] else "."))
    digits_result = results["digits"]
    hand_acc, engine_acc = digits_result["hand"]["test_acc"], digits_result["engine"]["test_acc"]
    fourth = (f"Trained by hand on the digits, the network reaches {pct(digits_result['final_test_acc'])} held-out "
              f"accuracy (the engine's autograd from the same weights on the same batches: "
              f"{engine_acc['mean'][-1] * 100:.1f}%, against {hand_acc['mean'][-1] * 100:.1f}% by hand); after "
              f"{digits_result['steps']['mean']:.0f} steps the two sets of weights differ by at most "
              f"{digits_result['max_weight_difference']['max']:.1e}.")
    return [first, second, third, fourth]


# -- report ---------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    check = results["check"]
    rows = [(problem, f"{check[problem]['scratch']['max']:.1e}", f"{check[problem]['torch']['max']:.1e}",
             f"{check[problem]['squared_error']['min']:.2g}") for problem in ("xor", "digits")]
    xor_rows = [(name, f"{runs['final_loss']['mean']:.4f}" if runs["final_loss"]["n"] else "—",
                 pct(runs["accuracy"], 0), count_text(runs["epochs_to_solve"]), fmt(runs["epochs_to_solve"]))
                for name, runs in (("documents: x 0.01, lr 0.01, "
                                    f"{settings.documents_epochs} epochs", results["xor_documents"]),
                                   (f"x {settings.xor_scale:g}, lr {settings.xor_lr:g}, {settings.xor_epochs} epochs",
                                    results["xor"]))]
    digits_result = results["digits"]
    digit_rows = [(who, f"{digits_result[key]['train_loss']['mean'][-1]:.4f}",
                   f"{digits_result[key]['test_acc']['mean'][-1] * 100:.1f}%")
                  for who, key in (("by hand (NumPy)", "hand"), ("engine autograd", "engine"))]
    return [
        "## Gradient check (float64, largest |hand - autograd| over W1, b1, W2, b2; worst seed)", "",
        *report.table(("problem", "vs shendu.scratch", "vs torch", "vs the squared error's gradient (best seed)"), rows),
        "", f"XOR: 2-{settings.xor_hidden}-1 with a sigmoid output; digits: 64-{settings.check_hidden}-10 with a "
        f"softmax output on {settings.check_examples} images.", "",
        "## XOR, trained by hand", "",
        *report.table(("start and step", "final loss", "accuracy", "solved in", "epochs to solve"), xor_rows), "",
        *report.picture("xor.png", "XOR loss"),
        f"## Digits, trained by hand (64-{settings.digits_hidden}-10, batch {settings.digits_batch_size}, "
        f"lr {settings.digits_lr:g}, {settings.digits_epochs} epochs)", "",
        *report.table(("trained", "final training loss", "held-out accuracy"), digit_rows), "",
        *report.picture("digits.png", "digits curves"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    fig, axes = plots.figure(1, 1, 5.5, 3.6)
    ax = axes[0, 0]
    for key, label in (("xor_documents", "documents (x0.01, lr 0.01)"), ("xor", "larger start and step")):
        plots.band(ax, results[key]["loss"], label, x=results[key]["loss_epochs"]["mean"])
    ax.axhline(LN2, color="grey", linestyle=":", linewidth=1, label="ln 2 (guessing)")
    plots.finish(ax, "XOR: cross-entropy by hand", "epoch", "loss", yscale="log")
    names = [plots.save(fig, folder, "xor.png")]
    fig, axes = plots.figure(1, 2, 4.5, 3.4)
    for key, label in (("hand", "by hand"), ("engine", "engine autograd")):
        style = {"linestyle": "--"} if key == "engine" else {}
        plots.band(axes[0, 0], results["digits"][key]["train_loss"], label, **style)
        plots.band(axes[0, 1], results["digits"][key]["test_acc"], label, **style)
    plots.finish(axes[0, 0], "digits: training loss", "epoch", "cross-entropy", yscale="log")
    plots.finish(axes[0, 1], "digits: held-out accuracy", "epoch", "accuracy")
    names.append(plots.save(fig, folder, "digits.png"))
    return names

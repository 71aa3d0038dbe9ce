"""`shendu lab lr-schedules`: constant, step, cosine, one-cycle and reduce-on-plateau learning rates on
one model, data and start: the lr and the loss over training, and the final accuracy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import Engine, linear_init
from shendu.lab.stats import count_text, fmt, pct
from shendu.lab.training import batches, epochs_to, evaluate

TITLE = "Learning-rate schedules: constant, step, cosine, one-cycle, reduce-on-plateau"
QUESTION = (
    "Source 001 says a learning rate too large oscillates and one too small converges slowly; source 000 writes an "
    "adaptive scheduler that halves the learning rate when its metric has not improved for `patience` epochs "
    "(torch's `ReduceLROnPlateau`). This experiment trains one network on the 8x8 digits with SGD and momentum "
    "from the same initial weights on the same batches, once per schedule: a constant rate, a step decay "
    "(`StepLR`), cosine annealing (`CosineAnnealingLR`, Loshchilov & Hutter, 2017), the one-cycle policy "
    "(`OneCycleLR`, Smith & Topin, 2017: up to the peak, then far below the start, momentum cycled the other "
    "way) and reduce-on-plateau on the epoch's training loss. Every schedule starts at, or peaks at, the same "
    "rate, chosen large (0.3 with momentum 0.9) so that a constant one keeps bouncing. "
    "It draws the learning rate and the loss over training and compares the final held-out accuracy and "
    "training loss."
)
SCHEDULES = ("constant", "step", "cosine", "one_cycle", "plateau")
NAMES = {"constant": "constant", "step": "step", "cosine": "cosine", "one_cycle": "one-cycle",
         "plateau": "reduce-on-plateau"}


@dataclass
class Settings:
    """Sizes of the lr-schedules experiment (defaults: about a minute on 2 cores)."""

    hidden: list[int] = field(default_factory=lambda: [32])
    epochs: int = 30
    batch_size: int = 32
    lr: float = 0.3
    momentum: float = 0.9
    step_size: int = 10
    step_gamma: float = 0.1
    plateau_factor: float = 0.5
    plateau_patience: int = 3
    target: float = 0.95
    train_limit: int | None = None


QUICK = Settings(hidden=[16], epochs=3, step_size=1, plateau_patience=1, target=0.5, train_limit=96)


def make_scheduler(engine: Engine, name: str, optimizer: Any, settings: Settings, steps_per_epoch: int) -> Any:
    """The scheduler called ``name`` on ``optimizer`` (``None`` for a constant rate)."""
    schedulers = engine.optim.lr_scheduler
    if name == "step":
        return schedulers.StepLR(optimizer, step_size=settings.step_size, gamma=settings.step_gamma)
    if name == "cosine":
        return schedulers.CosineAnnealingLR(optimizer, T_max=settings.epochs)
    if name == "one_cycle":
        return schedulers.OneCycleLR(optimizer, max_lr=settings.lr, total_steps=settings.epochs * steps_per_epoch)
    if name == "plateau":
        return schedulers.ReduceLROnPlateau(optimizer, mode="min", factor=settings.plateau_factor,
                                            patience=settings.plateau_patience)
    return None


def train(engine: Engine, name: str, settings: Settings, seed: int) -> dict[str, Any]:
    """One schedule: per-epoch losses and accuracy, the lr at every step, the epochs the plateau rule cut it."""
    data = digits(settings.train_limit)
    sizes = (64, *settings.hidden, 10)
    model = engine.load(engine.mlp(sizes, "relu"), linear_init(np.random.default_rng([seed, 0]), sizes))
    optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum)
    plan = batches(len(data.y_train), settings.batch_size, settings.epochs, seed)
    scheduler = make_scheduler(engine, name, optimizer, settings, len(plan[0]))
    x, targets = engine.tensor(data.x_train), engine.tensor(data.y_train)
    history: dict[str, Any] = {"train_loss": [], "test_loss": [], "test_acc": [], "lr_trace": [], "epoch_lr": []}
    cuts = []
    for epoch, epoch_batches in enumerate(plan, start=1):
        model.train()
        history["epoch_lr"].append(optimizer.param_groups[0]["lr"])
        losses = []
        for index in epoch_batches:
            history["lr_trace"].append(optimizer.param_groups[0]["lr"])
            loss = engine.F.cross_entropy(model(x[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
            if name == "one_cycle":
                scheduler.step()
        train_loss = float(np.mean(losses))
        if not np.isfinite(train_loss):  # diverged: the curves stop here
            break
        if name == "plateau":
            before = optimizer.param_groups[0]["lr"]
            scheduler.step(train_loss)
            if optimizer.param_groups[0]["lr"] < before:
                cuts.append(epoch)
        elif scheduler is not None and name != "one_cycle":
            scheduler.step()
        model.eval()
        test_loss, test_acc = evaluate(engine, model, data.x_test, data.y_test)
        for key, value in (("train_loss", train_loss), ("test_loss", test_loss), ("test_acc", test_acc)):
            history[key].append(value)
    finished = len(history["test_acc"]) == settings.epochs
    return {**history, "final_test_acc": history["test_acc"][-1] if finished else None,
            "final_train_loss": history["train_loss"][-1] if finished else None,
            "best_test_acc": max(history["test_acc"], default=None),
            "epochs_to_target": epochs_to(history["test_acc"], settings.target),
            "plateau_cuts": len(cuts) if name == "plateau" else None, "first_cut": cuts[0] if cuts else None,
            "target": settings.target}


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Every schedule from the same initial weights on the same batches."""
    return {name: train(engine, name, settings, seed) for name in SCHEDULES}


# -- conclusions ------------------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """Which schedule ended best, which fitted lowest, which reached the target first, what the plateau did."""
    names = [n for n in SCHEDULES if n in results]
    accuracy = {n: results[n]["final_test_acc"]["mean"] for n in names}
    ranked = sorted(names, key=lambda n: (accuracy[n] is None, -(accuracy[n] or 0.0)))
    best, constant = ranked[0], results["constant"]
    epochs = len(constant["epoch_lr"]["mean"])

    def shown(n: str) -> str:
        return "diverged" if accuracy[n] is None else f"{accuracy[n] * 100:.1f}%"

    if accuracy[best] is None:
        return [f"Every schedule diverged within {epochs} epochs: lower the rate."]
    against = ("" if accuracy["constant"] is None or best == "constant" else
               f" ({(accuracy[best] - accuracy['constant']) * 100:+.1f} points against the constant rate's "
               f"{pct(constant['final_test_acc'])})")
    first = (f"After {epochs} epochs, {NAMES[best]} ended with the best held-out accuracy, "
             f"{pct(results[best]['final_test_acc'])}{against}; in order: "
             + ", ".join(f"{NAMES[n]} {shown(n)}" for n in ranked) + ".")
    loss = {n: results[n]["final_train_loss"]["mean"] for n in names}
    lowest = min((n for n in names if loss[n] is not None), key=lambda n: loss[n])
    if lowest != "constant" and loss["constant"] is not None:
        second = (f"The last epoch's training loss was lowest with {NAMES[lowest]}, "
                  f"{fmt(results[lowest]['final_train_loss'], 2)}, {loss['constant'] / loss[lowest]:.2g} times below "
                  f"the constant rate's {fmt(constant['final_train_loss'], 2)}: a rate that ends small lets SGD settle "
                  "instead of bouncing around the minimum.")
    else:
        second = (f"The last epoch's training loss was lowest with {NAMES[lowest]}, "
                  f"{fmt(results[lowest]['final_train_loss'], 2)}.")
    target = constant["target"]["mean"]
    reach = {n: results[n]["epochs_to_target"]["mean"] for n in names}
    reached = sorted((n for n in names if reach[n] is not None), key=lambda n: reach[n])
    if reached:
        later = [f"{NAMES[n]} {reach[n]:.1f}" for n in reached[1:]]
        never = [NAMES[n] for n in names if reach[n] is None]
        third = (f"{NAMES[reached[0]].capitalize()} reached {target:.0%} held-out accuracy first, after "
                 f"{fmt(results[reached[0]]['epochs_to_target'], 2)} epochs "
                 f"({count_text(results[reached[0]]['epochs_to_target'])})"
                 + (f"; then {', '.join(later)}" if later else "")
                 + (f"; never: {', '.join(never)}" if never else "") + ".")
    else:
        third = f"No schedule reached {target:.0%} held-out accuracy."
    sentences = [first, second, third]
    if "plateau" in results:
        run = results["plateau"]
        cuts, first_cut = run["plateau_cuts"], run["first_cut"]
        sentences.append(
            f"Reduce-on-plateau cut the rate {fmt(cuts, 2)} times"
            + (f", first after epoch {fmt(first_cut, 2)} ({count_text(first_cut)})" if first_cut["n"] else
               " (never: the training loss kept improving)")
            + f", ending at {run['epoch_lr']['mean'][-1]:.2g} (from {constant['epoch_lr']['mean'][0]:.2g}).")
    return sentences


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    names = [n for n in SCHEDULES if n in results]
    rows = [(NAMES[n], pct(results[n]["final_test_acc"]), pct(results[n]["best_test_acc"]),
             fmt(results[n]["final_train_loss"], 2), f"{results[n]['test_loss']['mean'][-1]:.3g}",
             f"{fmt(results[n]['epochs_to_target'], 2)} ({count_text(results[n]['epochs_to_target'])})") for n in names]
    sizes = "-".join(map(str, (64, *settings.hidden, 10)))
    return [
        f"## {sizes} ReLU on the digits (SGD lr {settings.lr:g}, momentum {settings.momentum:g}, batch "
        f"{settings.batch_size}, {settings.epochs} epochs; step: x{settings.step_gamma:g} every {settings.step_size} "
        f"epochs; plateau: x{settings.plateau_factor:g} after {settings.plateau_patience} epochs without a lower "
        f"training loss)", "",
        *report.table(("schedule", "final held-out accuracy", "best held-out accuracy", "final training loss",
                       "final held-out loss", f"epochs to {settings.target:.0%}"), rows), "",
        *report.picture("schedules.png", "learning rate and training loss by schedule"),
        *report.picture("accuracy.png", "held-out accuracy by schedule"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    names = [n for n in SCHEDULES if n in results]
    fig, axes = plots.figure(1, 2, 4.2, 3.2)
    for i, name in enumerate(names):
        trace = np.array(results[name]["lr_trace"], dtype=float)
        every = max(1, len(trace) // 300)  # a few hundred points draw the same line in a smaller file
        steps_per_epoch = len(trace) / max(1, len(results[name]["epoch_lr"]["mean"]))
        axes[0, 0].plot(np.arange(1, len(trace) + 1)[::every] / steps_per_epoch, trace[::every], color=f"C{i}",
                        label=NAMES[name])
        plots.band(axes[0, 1], results[name]["train_loss"], NAMES[name], color=f"C{i}")
    plots.finish(axes[0, 0], "learning rate (first seed)", "epoch", "lr")
    plots.finish(axes[0, 1], "training loss", "epoch", "cross-entropy", legend=False, yscale="log")
    pictures = [plots.save(fig, folder, "schedules.png")]
    fig, axes = plots.figure(1, 1, 5.0, 3.2)
    lowest = 1.0
    for i, name in enumerate(names):
        plots.band(axes[0, 0], results[name]["test_acc"], NAMES[name], color=f"C{i}")
        lowest = min([lowest, *(v for v in results[name]["test_acc"]["mean"][1:] if v is not None)])
    plots.finish(axes[0, 0], "held-out accuracy", "epoch", "accuracy", ylim=(max(0.0, lowest - 0.05), 1.0))
    pictures.append(plots.save(fig, folder, "accuracy.png"))
    return pictures

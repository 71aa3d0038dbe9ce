"""`shendu lab batch-size`: full-batch gradient descent, mini-batch SGD and SGD on one sample at a time, on
the same model, data and start: the loss per epoch, per update and per second."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import Engine, linear_init
from shendu.lab.stats import count_text, fmt, pct
from shendu.lab.training import batches, evaluate

TITLE = "Batch size: full batch, mini-batch, one sample at a time"
QUESTION = (
    "Source 001 lists three forms of gradient descent: batch gradient descent uses the whole data set for each "
    "step, stochastic gradient descent (SGD) one sample, and mini-batch gradient descent is the usual compromise. "
    "This experiment trains one network on the 8x8 digits with plain SGD (no momentum) in each form, from the same "
    "initial weights, for the same number of epochs (passes over the data), and measures the training loss on the "
    "whole training set per epoch, per update (at updates 1, 2, 4, 8, ...) and per second of training (the clock "
    "stops while the loss is measured), and the held-out accuracy. Each form gets its own learning rate (in the "
    "settings below): a full-batch gradient is exact, so it can take a larger step than the noisy gradient of one "
    "sample."
)
FORMS = ("full", "mini", "single")
NAMES = {"full": "full batch", "mini": "mini-batch", "single": "one sample"}


@dataclass
class Settings:
    """Sizes of the batch-size experiment (defaults: about a minute on 2 cores)."""

    hidden: list[int] = field(default_factory=lambda: [64])
    epochs: int = 12
    mini_batch: int = 32
    lr: dict[str, float] = field(default_factory=lambda: {"full": 0.5, "mini": 0.05, "single": 0.005})
    loss_target: float = 0.2
    train_limit: int | None = None


QUICK = Settings(hidden=[16], epochs=2, train_limit=64)


def batch_size(form: str, n: int, settings: Settings) -> int:
    return {"full": n, "mini": settings.mini_batch, "single": 1}[form]


def train(engine: Engine, form: str, settings: Settings, seed: int) -> dict[str, Any]:
    """One form: the training loss (whole training set) after each epoch and at updates 1, 2, 4, ...; the
    seconds spent updating; held-out accuracy per epoch."""
    data = digits(settings.train_limit)
    sizes = (64, *settings.hidden, 10)
    model = engine.load(engine.mlp(sizes, "relu"), linear_init(np.random.default_rng([seed, 0]), sizes))
    optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr[form])
    n = len(data.y_train)
    x, targets = engine.tensor(data.x_train), engine.tensor(data.y_train)
    plan = batches(n, batch_size(form, n, settings), settings.epochs, seed)
    out: dict[str, Any] = {"train_loss": [], "test_acc": [], "seconds": [], "update_loss": [], "update_at": [],
                           "batch_size": batch_size(form, n, settings), "lr": settings.lr[form]}
    updates, next_probe, clock = 0, 1, 0.0
    for epoch_batches in plan:
        model.train()
        started = time.perf_counter()
        for index in epoch_batches:
            loss = engine.F.cross_entropy(model(x[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            updates += 1
            if updates == next_probe:  # the loss per update, at 1, 2, 4, 8, ... (the clock stops meanwhile)
                clock += time.perf_counter() - started
                model.eval()
                out["update_loss"].append(evaluate(engine, model, data.x_train, data.y_train)[0])
                out["update_at"].append(updates)
                model.train()
                next_probe *= 2
                started = time.perf_counter()
        clock += time.perf_counter() - started
        model.eval()
        train_loss, _ = evaluate(engine, model, data.x_train, data.y_train)
        _, test_acc = evaluate(engine, model, data.x_test, data.y_test)
        out["train_loss"].append(train_loss if np.isfinite(train_loss) else None)
        out["test_acc"].append(test_acc)
        out["seconds"].append(clock)
    out["updates"] = updates
    out["final_train_loss"] = out["train_loss"][-1]
    out["final_test_acc"] = out["test_acc"][-1]
    out["seconds_per_epoch"] = clock / settings.epochs
    out["seconds_per_update"] = clock / updates
    below = [s for s, v in zip(out["seconds"], out["train_loss"], strict=True) if v is not None and v <= settings.loss_target]
    out["seconds_to_target"] = below[0] if below else None
    out["epochs_to_target"] = next((i for i, v in enumerate(out["train_loss"], start=1)
                                    if v is not None and v <= settings.loss_target), None)
    out["loss_target"] = settings.loss_target
    return out


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Each form from the same initial weights."""
    return {form: train(engine, form, settings, seed) for form in FORMS}


# -- conclusions ------------------------------------------------------------------------------------------


def loss_at_update(run: dict[str, Any], update: int) -> float | None:
    """The mean training loss measured at exactly ``update`` (updates are probed at powers of two)."""
    at = [int(u) for u in run["update_at"]["mean"]]
    return run["update_loss"]["mean"][at.index(update)] if update in at else None


def conclude(results: dict[str, Any]) -> list[str]:
    """Per epoch, per update, per second: which form leads."""
    forms = [f for f in FORMS if f in results]
    epochs = len(results[forms[0]]["train_loss"]["mean"])
    loss = {f: results[f]["final_train_loss"]["mean"] for f in forms}
    per_epoch = sorted(forms, key=lambda f: (loss[f] is None, loss[f] or 0.0))
    first = (f"Per epoch, after {epochs} passes over the data, the training loss was lowest with "
             f"{NAMES[per_epoch[0]]}, {fmt(results[per_epoch[0]]['final_train_loss'], 2)} after "
             f"{results[per_epoch[0]]['updates']['mean']:,.0f} updates; "
             + ", ".join(f"{NAMES[f]} {fmt(results[f]['final_train_loss'], 2)} after "
                         f"{results[f]['updates']['mean']:,.0f}" for f in per_epoch[1:])
             + " (held-out accuracy " + ", ".join(f"{NAMES[f]} {pct(results[f]['final_test_acc'])}" for f in forms)
             + ").")
    common = int(min(results[f]["updates"]["mean"] for f in forms))
    probe = 1 << (common.bit_length() - 1)  # the largest power of two every form reached
    at = {f: loss_at_update(results[f], probe) for f in forms}
    measured = [f for f in forms if at[f] is not None]
    second = ""
    if measured:
        best = min(measured, key=lambda f: at[f])
        second = (f"Per update, after {probe} updates each, {NAMES[best]} was lowest: "
                  + ", ".join(f"{NAMES[f]} {at[f]:.3g}" for f in measured) + ".")
        if best == "full" and "full" in results:
            second += (" A step on the whole data set is worth more than one on a sample, but costs as much as "
                       f"{results['full']['batch_size']['mean']:.0f} one-sample steps.")
    speed = {f: results[f]["seconds_per_epoch"]["mean"] for f in forms}
    third = ("Per second: an epoch took " + ", ".join(f"{fmt(results[f]['seconds_per_epoch'], 2, unit=' s')} "
                                                      f"({NAMES[f]})" for f in forms)
             + "; per update " + ", ".join(f"{results[f]['seconds_per_update']['mean'] * 1e3:.3g} ms ({NAMES[f]})"
                                           for f in forms) + ".")
    target = results[forms[0]]["loss_target"]["mean"]
    reached = sorted((f for f in forms if results[f]["seconds_to_target"]["n"]),
                     key=lambda f: results[f]["seconds_to_target"]["mean"])
    if reached:
        third += (f" {NAMES[reached[0]].capitalize()} got the training loss below {target:g} soonest, in "
                  f"{fmt(results[reached[0]]['seconds_to_target'], 2, unit=' s')} of updating "
                  f"({count_text(results[reached[0]]['seconds_to_target'])})"
                  + "".join(f"; {NAMES[f]} {results[f]['seconds_to_target']['mean']:.2g} s" for f in reached[1:])
                  + "".join(f"; {NAMES[f]} not within {epochs} epochs" for f in forms if f not in reached) + ".")
    else:
        third += f" No form got the training loss below {target:g} within {epochs} epochs."
    slowest = max(forms, key=lambda f: speed[f])
    fastest = min(forms, key=lambda f: speed[f])
    per_epoch_updates = results[slowest]["updates"]["mean"] / epochs
    fourth = (f"An epoch of {NAMES[slowest]} took {speed[slowest] / speed[fastest]:.0f} times as long as one of "
              f"{NAMES[fastest]}: the same arithmetic cut into {per_epoch_updates:,.0f} small steps, each paying the "
              "engine's fixed cost per call.")
    return [s for s in (first, second, third, fourth) if s]


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    forms = [f for f in FORMS if f in results]
    rows = [(NAMES[f], f"{results[f]['batch_size']['mean']:.0f}", f"{results[f]['lr']['mean']:g}",
             f"{results[f]['updates']['mean']:,.0f}", fmt(results[f]["final_train_loss"], 2),
             pct(results[f]["final_test_acc"]), fmt(results[f]["seconds_per_epoch"], 2, unit=" s"),
             f"{results[f]['seconds_per_update']['mean'] * 1e3:.3g} ms",
             f"{fmt(results[f]['seconds_to_target'], 2, unit=' s')} ({count_text(results[f]['seconds_to_target'])})")
            for f in forms]
    sizes = "-".join(map(str, (64, *settings.hidden, 10)))
    return [
        f"## {sizes} ReLU on the digits, plain SGD, {settings.epochs} epochs", "",
        *report.table(("form", "batch", "lr", "updates", "final training loss", "held-out accuracy",
                       "seconds per epoch", "per update", f"seconds to loss {settings.loss_target:g}"), rows), "",
        "Seconds are measured on this machine while other work kept it busy: compare them within one run.", "",
        *report.picture("batch_size.png", "training loss per epoch, per update and per second"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    forms = [f for f in FORMS if f in results]
    fig, axes = plots.figure(1, 3, 3.8, 3.4)
    for i, form in enumerate(forms):
        run = results[form]
        plots.band(axes[0, 0], run["train_loss"], NAMES[form], color=f"C{i}")
        plots.band(axes[0, 1], run["update_loss"], NAMES[form], x=run["update_at"]["mean"], color=f"C{i}")
        plots.band(axes[0, 2], run["train_loss"], NAMES[form], x=run["seconds"]["mean"], color=f"C{i}")
    plots.finish(axes[0, 0], "per epoch", "epoch", "training loss", yscale="log")
    plots.finish(axes[0, 1], "per update", "updates", "training loss", legend=False, xscale="log", yscale="log")
    plots.finish(axes[0, 2], "per second of updating", "seconds (mean over seeds)", "training loss", legend=False,
                 yscale="log")
    return [plots.save(fig, folder, "batch_size.png")]

"""`shendu lab optimizers`: SGD, momentum (torch's form and the documents' averaging form),
RMSProp, Adam and AdamW on the same model, data and initial weights; their paths on the
Rosenbrock function and at a saddle."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import Engine, linear_init
from shendu.lab.momentum import AveragedMomentum
from shendu.lab.stats import count_text, fmt, pct
from shendu.lab.training import epochs_to, train_classifier

TITLE = "Optimizers: SGD, momentum, RMSProp, Adam, AdamW"
QUESTION = (
    "Source 001 asks to derive Adam's update and compare it with SGD, and names momentum and RMSProp; source 000 "
    "writes SGD, momentum in the form `v = beta v + (1 - beta) g` and Adam by hand. This experiment trains one "
    "network on the 8x8 digits with each optimizer from the same initial weights on the same batches and counts the "
    "epochs each needs to reach a held-out accuracy target; it runs torch's momentum (`buf = beta buf + g`) beside "
    "the documents' averaging form, at the same learning rate and at that rate divided by 1 - beta; and it follows "
    "each optimizer on two classic surfaces: Rosenbrock's curved valley and the saddle of x^2 + y^4/4 - y^2/2."
)
OPTIMIZERS = ("sgd", "momentum", "momentum_avg", "momentum_avg_scaled", "rmsprop", "adam", "adamw")
NAMES = {"sgd": "SGD", "momentum": "momentum (torch)", "momentum_avg": "momentum (1-β) average",
         "momentum_avg_scaled": "momentum (1-β) average at lr/(1-β)", "rmsprop": "RMSProp", "adam": "Adam",
         "adamw": "AdamW"}
BETA = 0.9
ROSENBROCK_MINIMUM = (1.0, 1.0)


def _rates(sgd: float, adaptive: float) -> dict[str, float]:
    return {"sgd": sgd, "momentum": sgd, "momentum_avg": sgd, "momentum_avg_scaled": round(sgd / (1 - BETA), 12),
            "rmsprop": adaptive, "adam": adaptive, "adamw": adaptive}


@dataclass
class Settings:
    """Sizes of the optimizers experiment (defaults: about a minute on 2 cores).

    Learning rates per optimizer and task: the SGD family shares one, the adaptive ones another
    (their usual defaults differ by that much); ``momentum_avg_scaled`` gets the SGD rate / (1 - beta).
    """

    hidden: list[int] = field(default_factory=lambda: [64])
    activation: str = "relu"
    epochs: int = 20
    batch_size: int = 32
    target: float = 0.95
    weight_decay: float = 0.01
    digits_lr: dict[str, float] = field(default_factory=lambda: _rates(0.05, 0.001))
    rosenbrock_lr: dict[str, float] = field(default_factory=lambda: _rates(0.001, 0.02))
    saddle_lr: dict[str, float] = field(default_factory=lambda: _rates(0.05, 0.05))
    steps: int = 1000
    train_limit: int | None = None
    path_points: int = 100


QUICK = Settings(hidden=[16], epochs=2, target=0.5, train_limit=300, steps=30, path_points=30)


def make_optimizer(engine: Engine, name: str, params: Any, lr: float, weight_decay: float) -> Any:
    """The optimizer called ``name`` (one of :data:`OPTIMIZERS`) on ``params``."""
    if name == "sgd":
        return engine.optim.SGD(params, lr=lr)
    if name == "momentum":
        return engine.optim.SGD(params, lr=lr, momentum=BETA)
    if name in ("momentum_avg", "momentum_avg_scaled"):
        return AveragedMomentum(params, lr=lr, beta=BETA)
    if name == "rmsprop":
        return engine.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return engine.optim.Adam(params, lr=lr)
    return engine.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


# -- surfaces -------------------------------------------------------------------------------------


def rosenbrock(x: Any, y: Any) -> Any:
    """(1 - x)^2 + 100 (y - x^2)^2: a curved valley, minimum 0 at (1, 1) (Rosenbrock, 1960)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def saddle(x: Any, y: Any) -> Any:
    """x^2 + y^4/4 - y^2/2: a saddle at (0, 0), minima -1/4 at (0, ±1)."""
    return x**2 + y**4 / 4 - y**2 / 2


def follow(engine: Engine, function: Any, start: tuple[float, float], name: str, lr: float, steps: int,
           points: int) -> dict[str, Any]:
    """Minimize ``function`` from ``start`` with optimizer ``name``; the path (about ``points`` points)."""
    p = engine.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer(engine, name, [p], lr, 0.0)
    every = max(1, steps // points)
    xs, ys, escaped = [start[0]], [start[1]], None
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        value = function(p[0], p[1])
        value.backward()
        optimizer.step()
        x, y = (float(v) for v in engine.numpy(p))
        if not (np.isfinite(x) and np.isfinite(y)) or max(abs(x), abs(y)) > 1e6:
            xs.append(np.nan), ys.append(np.nan)
            break
        if escaped is None and abs(y) > 0.5:
            escaped = step
        if step % every == 0:
            xs.append(x), ys.append(y)
    x, y = (float(v) for v in engine.numpy(p))
    return {"x_trace": xs, "y_trace": ys, "steps": steps, "final_value": float(function(x, y)), "final_x": x, "final_y": y,
            "escape_step": escaped}


# -- one seed -----------------------------------------------------------------------------------


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Every optimizer on the digits (same start, same batches), on Rosenbrock and at the saddle."""
    data = digits(settings.train_limit)
    sizes = (64, *settings.hidden, 10)
    start = linear_init(np.random.default_rng([seed, 0]), sizes)
    jitter = np.random.default_rng([seed, 1])
    rosenbrock_start = (-1.2 + 0.05 * jitter.standard_normal(), 1.0 + 0.05 * jitter.standard_normal())
    saddle_start = (1.0 + 0.1 * jitter.standard_normal(), 1e-3 * float(np.exp(0.5 * jitter.standard_normal())))
    out: dict[str, Any] = {}
    final_weights = {}
    for name in OPTIMIZERS:
        model = engine.load(engine.mlp(sizes, settings.activation), start)
        optimizer = make_optimizer(engine, name, model.parameters(), settings.digits_lr[name], settings.weight_decay)
        history = train_classifier(engine, model, optimizer, data, settings.epochs, settings.batch_size, seed)
        final_weights[name] = engine.state(model)
        valley = follow(engine, rosenbrock, rosenbrock_start, name, settings.rosenbrock_lr[name], settings.steps,
                        settings.path_points)
        valley["distance"] = float(np.hypot(valley["final_x"] - 1, valley["final_y"] - 1))
        del valley["escape_step"]  # the saddle's measure
        out[name] = {"train_loss": history["train_loss"], "test_acc": history["test_acc"],
                     "final_test_acc": history["test_acc"][-1] if history["test_acc"] else None,
                     "epochs_to_target": epochs_to(history["test_acc"], settings.target),
                     "target": settings.target, "epochs": settings.epochs, "lr": settings.digits_lr[name],
                     "rosenbrock": valley,
                     "saddle": follow(engine, saddle, saddle_start, name, settings.saddle_lr[name], settings.steps,
                                      settings.path_points)}
    torch_form, scaled = final_weights["momentum"], final_weights["momentum_avg_scaled"]
    out["momentum_forms_weight_difference"] = max(float(np.max(np.abs(torch_form[k] - scaled[k]))) for k in torch_form)
    return out


# -- conclusions ----------------------------------------------------------------------------------


def _order(values: dict[str, float | None]) -> list[str]:
    """Names by value, smallest first, those without a value last."""
    return sorted(values, key=lambda name: (values[name] is None, values[name] or 0.0))


def _join(names: list[str]) -> str:
    """``"a, b and c"``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def conclude(results: dict[str, Any]) -> list[str]:
    """Which optimizer reached the target first, the two momentum forms, Rosenbrock and the saddle."""
    names = [name for name in OPTIMIZERS if name in results]
    target, epochs = results[names[0]]["target"]["mean"], results[names[0]]["epochs"]["mean"]
    reach = {name: results[name]["epochs_to_target"]["mean"] for name in names}
    order = _order(reach)
    missing = [name for name in order if reach[name] is None]
    if reach[order[0]] is None:
        best = max(names, key=lambda n: results[n]["final_test_acc"]["mean"] or 0.0)
        sentence = (f"No optimizer reached {target * 100:.0f}% held-out accuracy within {epochs:.0f} epochs; the best "
                    f"final accuracy was {NAMES[best]}'s, {pct(results[best]['final_test_acc'])}.")
    else:
        firsts = [n for n in order if reach[n] is not None and abs(reach[n] - reach[order[0]]) < 1e-9]
        rest = [n for n in order if n not in firsts and reach[n] is not None]
        who = _join([NAMES[n] for n in firsts])
        sentence = (f"{_capital(who)} reached {target * 100:.0f}% held-out accuracy first"
                    + (" (a tie)" if len(firsts) > 1 else "")
                    + f": after {fmt(results[firsts[0]]['epochs_to_target'])} epochs "
                      f"({count_text(results[firsts[0]]['epochs_to_target'])})"
                    + ("; then " + ", ".join(f"{NAMES[n]} {reach[n]:.1f}" for n in rest) if rest else "")
                    + (f"; not within {epochs:.0f} epochs: " + ", ".join(NAMES[n] for n in missing) if missing else "")
                    + " (epochs, mean over the seeds that reached it).")
    sentences = [sentence]
    if {"sgd", "momentum", "momentum_avg", "momentum_avg_scaled"} <= set(names):
        plain, torch_form, average, scaled = (results[n] for n in ("sgd", "momentum", "momentum_avg",
                                                                   "momentum_avg_scaled"))

        def reached(run: dict[str, Any]) -> str:
            leaf = run["epochs_to_target"]
            if not leaf["n"]:
                return f"did not reach it within {epochs:.0f} epochs"
            some = f" in {count_text(leaf)}" if leaf["n"] < len(leaf["values"]) else ""
            return f"reached it after {fmt(leaf)} epochs{some}"

        def points(a: dict[str, Any], b: dict[str, Any]) -> float:
            return abs(a["final_test_acc"]["mean"] - b["final_test_acc"]["mean"]) * 100

        difference = results.get("momentum_forms_weight_difference", {}).get("max")
        same = (f"its final weights differ from torch's form's by at most {difference:.1e} (float rounding): "
                if difference is not None and difference < 1e-3 else "")
        sentences.append(
            f"The documents' momentum averages the gradients (v = βv + (1-β)g) where torch's sums them "
            f"(buf = β·buf + g); by induction v = (1-β)·buf, so at the same lr {average['lr']['mean']:g} its steps are "
            f"exactly 1-β = {1 - BETA:.1f} as long: it {reached(average)}, torch's form "
            f"{reached(torch_form).removeprefix('reached it ')}, and it ended {points(average, plain):.1f} points from "
            f"plain SGD at that lr (averaging cancels momentum's 1/(1-β) gain). With lr {scaled['lr']['mean']:g} = "
            f"lr/(1-β) it {reached(scaled)} and ended {points(scaled, torch_form):.1f} points from torch's form: "
            + (same or "") + "the same method with the lr rescaled.")
    distance = {name: results[name]["rosenbrock"]["distance"]["mean"] for name in names}
    close = _order(distance)
    diverged = [n for n in close if distance[n] is None]
    finite = [n for n in close if distance[n] is not None]
    far = (f", and {NAMES[finite[-1]]} farthest, {fmt(results[finite[-1]]['rosenbrock']['distance'], 2)} away"
           if len(finite) > 1 else "")
    sentences.append(
        f"On Rosenbrock's valley, after {results[names[0]]['rosenbrock']['steps']['mean']:.0f} steps from near (-1.2, 1), "
        + (f"{NAMES[finite[0]]} ended closest to the minimum (1, 1), "
           f"{fmt(results[finite[0]]['rosenbrock']['distance'], 2)} away{far}" if finite else "every optimizer diverged")
        + (f"; {_join([NAMES[n] for n in diverged])} diverged" if diverged and finite else "")
        + ". The learning rates are in the settings below.")
    escape = {name: results[name]["saddle"]["escape_step"]["mean"] for name in names}
    steps = results[names[0]]["saddle"]["steps"]["mean"]
    quick = [n for n in _order(escape) if escape[n] is not None]
    stuck = [n for n in names if escape[n] is None]
    if not quick:
        sentences.append(f"At the saddle, no optimizer escaped (|y| > 0.5) within {steps:.0f} steps.")
    else:
        adaptive = quick[0] in ("adam", "adamw", "rmsprop") and all(
            n not in ("adam", "adamw", "rmsprop") for n in stuck or [quick[-1]])
        later = (f"{_join([NAMES[n] for n in stuck])} did not escape within {steps:.0f} steps" if stuck else
                 f"{NAMES[quick[-1]]} escaped last ({fmt(results[quick[-1]]['saddle']['escape_step'])} steps)")
        sentences.append(
            f"At the saddle, {NAMES[quick[0]]} escaped first (|y| > 0.5 after "
            f"{fmt(results[quick[0]]['saddle']['escape_step'])} steps) and {later}"
            + (": near the saddle the gradient is tiny, and the steps of SGD and both momentums are proportional to "
               f"it, while {NAMES[quick[0]]} divides it by its running size." if adaptive else "."))
    return sentences


# -- report ---------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    names = [name for name in OPTIMIZERS if name in results]
    rows = [(NAMES[n], f"{results[n]['lr']['mean']:g}", f"{fmt(results[n]['epochs_to_target'])} "
             f"({count_text(results[n]['epochs_to_target'])})", pct(results[n]["final_test_acc"]),
             f"{results[n]['train_loss']['mean'][-1]:.3g}" if results[n]["train_loss"]["mean"] else "—",
             fmt(results[n]["rosenbrock"]["distance"], 2), fmt(results[n]["saddle"]["escape_step"], 3))
            for n in names]
    sizes = "-".join(map(str, (64, *settings.hidden, 10)))
    return [
        f"## Digits ({sizes} {settings.activation}, batch {settings.batch_size}, {settings.epochs} epochs; "
        f"target {settings.target * 100:.0f}% held-out accuracy) and the surfaces ({settings.steps} steps)", "",
        *report.table(("optimizer", "lr (digits)", "epochs to target", "final held-out accuracy",
                       "final training loss", "Rosenbrock: distance to (1, 1)", "saddle: steps to escape"), rows), "",
        *report.picture("curves.png", "training curves"),
        *report.picture("surfaces.png", "paths on Rosenbrock and the saddle (first seed)"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    names = [name for name in OPTIMIZERS if name in results]
    fig, axes = plots.figure(1, 2, 4.6, 3.5)
    for name in names:
        style = {"linestyle": "--"} if name.startswith("momentum_avg") else {}
        plots.band(axes[0, 0], results[name]["train_loss"], NAMES[name], **style)
        plots.band(axes[0, 1], results[name]["test_acc"], NAMES[name], **style)
    target = results[names[0]]["target"]["mean"]
    axes[0, 1].axhline(target, color="grey", linestyle=":", linewidth=1)
    plots.finish(axes[0, 0], "training loss (digits)", "epoch", "cross-entropy", yscale="log")
    plots.finish(axes[0, 1], f"held-out accuracy (target {target:.0%})", "epoch", "accuracy", legend=False)
    pictures = [plots.save(fig, folder, "curves.png")]
    fig, axes = plots.figure(1, 2, 4.3, 3.6)
    grids = ((rosenbrock, "rosenbrock", "Rosenbrock (first seed)", (-2, 2), (-1, 3), [(1, 1)]),
             (saddle, "saddle", "saddle x² + y⁴/4 - y²/2 (first seed)", (-1.5, 1.5), (-1.5, 1.5), [(0, 1), (0, -1)]))
    for ax, (function, key, title, xlim, ylim, minima) in zip(axes[0], grids, strict=True):
        x, y = np.meshgrid(np.linspace(*xlim, 120), np.linspace(*ylim, 120))
        z = function(x, y)
        ax.contour(x, y, np.log10(z - z.min() + 1e-3), levels=10, colors="0.7", linewidths=0.5, linestyles="solid")
        for name in names:
            run = results[name][key]
            ax.plot(run["x_trace"], run["y_trace"], linewidth=1.1, label=NAMES[name],
                    linestyle="--" if name.startswith("momentum_avg") else "-")
        ax.plot(*zip(*minima, strict=True), "k*", markersize=9)
        plots.finish(ax, title, "x", "y", legend=False, xlim=xlim, ylim=ylim)
    axes[0, 1].legend(fontsize=7, loc="lower left")
    pictures.append(plots.save(fig, folder, "surfaces.png"))
    return pictures

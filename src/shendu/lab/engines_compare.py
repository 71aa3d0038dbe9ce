"""`shendu lab engines`: the same network trained by `shendu.scratch` and by torch from the same initial
weights on the same batches: the curves overlaid, how far the weights drift apart, and the speed of each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import Engine, get_engine, linear_init, one_thread
from shendu.lab.stats import fmt, pct
from shendu.lab.training import batches, evaluate

TITLE = "Engines: shendu.scratch against torch, step for step"
QUESTION = (
    "Source 001 asks for a two-layer network whose backpropagation is written by hand; shendu's `scratch` engine "
    "goes further - a NumPy autograd with torch's names - and claims torch's answers. This experiment trains the "
    "same network (the 8x8 digits, SGD with momentum) with both engines from the same initial weights on the same "
    "batches, in float64 and in float32, and measures after every few steps the largest difference between their "
    "weights, the loss and accuracy curves of each, and the time each takes per step (both on one thread). It always "
    "runs both engines: `--engine` stays torch."
)
ENGINE_NAMES = ("torch", "scratch")
DTYPES = ("float64", "float32")
ROUNDING = 1000  # weights within this many machine epsilons (times the largest weight) agree "up to rounding"


@dataclass
class Settings:
    """Sizes of the engines experiment (defaults: about a minute on 2 cores)."""

    hidden: list[int] = field(default_factory=lambda: [64, 64])
    activation: str = "tanh"
    epochs: int = 30
    batch_size: int = 32
    lr: float = 0.05
    momentum: float = 0.9
    record_every: int = 45
    train_limit: int | None = None


QUICK = Settings(hidden=[16], epochs=2, record_every=2, train_limit=64)


def train(engine: Engine, settings: Settings, dtype: str, seed: int) -> dict[str, Any]:
    """One engine in one dtype: curves per epoch, the weights every ``record_every`` steps, seconds per step."""
    data = digits(settings.train_limit).astype(dtype)
    sizes = (64, *settings.hidden, 10)
    start = {k: v.astype(dtype) for k, v in linear_init(np.random.default_rng([seed, 0]), sizes).items()}
    model = engine.load(engine.mlp(sizes, settings.activation, dtype), start)
    optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum)
    x, targets = engine.tensor(data.x_train), engine.tensor(data.y_train)
    out: dict[str, Any] = {"train_loss": [], "test_acc": [], "snapshots": [], "steps": 0}
    seconds, steps = 0.0, 0
    for epoch_batches in batches(len(data.y_train), settings.batch_size, settings.epochs, seed):
        model.train()
        losses = []
        for index in epoch_batches:
            started = time.perf_counter()
            loss = engine.F.cross_entropy(model(x[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seconds += time.perf_counter() - started
            steps += 1
            losses.append(float(loss.item()))
            if steps % settings.record_every == 0:
                out["snapshots"].append(engine.state(model))
        model.eval()
        out["train_loss"].append(float(np.mean(losses)))
        out["test_acc"].append(evaluate(engine, model, data.x_test, data.y_test)[1])
    out["steps"], out["seconds_per_step"] = steps, seconds / steps
    out["final_state"] = engine.state(model)
    return out


def max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """The largest absolute difference between two state dicts with the same keys."""
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in a)


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Both engines, both dtypes, the same start and batches."""
    del engine  # this experiment always runs both
    engines = {name: get_engine(name) for name in ENGINE_NAMES}
    out: dict[str, Any] = {}
    for dtype in DTYPES:
        runs = {}
        for name, each in engines.items():
            with one_thread(each):
                runs[name] = train(each, settings, dtype, seed)
        differences = [max_difference(a, b) for a, b in zip(runs["torch"]["snapshots"], runs["scratch"]["snapshots"],
                                                             strict=True)]
        out[dtype] = {
            **{name: {"train_loss": run["train_loss"], "test_acc": run["test_acc"],
                      "final_test_acc": run["test_acc"][-1], "final_train_loss": run["train_loss"][-1],
                      "seconds_per_step": run["seconds_per_step"]} for name, run in runs.items()},
            "max_difference": differences,
            "final_max_difference": max_difference(runs["torch"]["final_state"], runs["scratch"]["final_state"]),
            "recorded_at": [float(settings.record_every * (i + 1)) for i in range(len(differences))],
            "steps": runs["torch"]["steps"],
            "weight_scale": max(float(np.max(np.abs(v))) for v in runs["torch"]["final_state"].values()),
            "eps": float(np.finfo(dtype).eps),
        }
    return out


# -- conclusions ------------------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """How far apart the weights ended in each dtype, whether the curves agree, the speed of each engine."""
    sentences = []
    for dtype in [d for d in DTYPES if d in results]:
        run = results[dtype]
        difference, eps = run["final_max_difference"], run["eps"]["mean"]
        first = run["max_difference"]["mean"][0] if run["max_difference"]["mean"] else None
        sentences.append(
            f"In {dtype}, after {run['steps']['mean']:.0f} steps from the same start on the same batches, the largest "
            f"weight difference between scratch and torch was {fmt(difference, 2)} ({difference['mean'] / eps:.2g} "
            f"times the {dtype} machine epsilon {eps:.1e})"
            + (f", grown from {first:.1e} after the first {run['recorded_at']['mean'][0]:.0f} steps" if first else "")
            + (": the two engines compute the same numbers up to rounding."
               if difference["mean"] < ROUNDING * eps * max(1.0, run["weight_scale"]["mean"]) else
               f": more than {ROUNDING} roundings of the largest weight ({run['weight_scale']['mean']:.2g}) apart - "
               "the trajectories have drifted.")
            + f" Final held-out accuracy: torch {pct(run['torch']['final_test_acc'])}, scratch "
              f"{pct(run['scratch']['final_test_acc'])}; final training loss: torch "
              f"{fmt(run['torch']['final_train_loss'], 4)}, scratch {fmt(run['scratch']['final_train_loss'], 4)}.")
    for dtype in [d for d in DTYPES if d in results]:
        run = results[dtype]
        torch_time, scratch_time = run["torch"]["seconds_per_step"], run["scratch"]["seconds_per_step"]
        ratio = scratch_time["mean"] / torch_time["mean"]
        sentences.append(
            f"Speed in {dtype}: torch took {torch_time['mean'] * 1e3:.3g} ms per step, scratch "
            f"{scratch_time['mean'] * 1e3:.3g} ms: scratch is "
            + (f"{ratio:.2g} times slower." if ratio >= 1 else f"{1 / ratio:.2g} times faster."))
    return sentences


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    rows = []
    for dtype in [d for d in DTYPES if d in results]:
        run = results[dtype]
        for name in ENGINE_NAMES:
            rows.append((dtype, name, fmt(run[name]["final_train_loss"], 4), pct(run[name]["final_test_acc"]),
                         f"{run[name]['seconds_per_step']['mean'] * 1e3:.3g} ms",
                         fmt(run["final_max_difference"], 2) if name == "scratch" else ""))
    sizes = "-".join(map(str, (64, *settings.hidden, 10)))
    return [
        f"## {sizes} {settings.activation} on the digits (SGD lr {settings.lr:g}, momentum {settings.momentum:g}, "
        f"batch {settings.batch_size}, {settings.epochs} epochs; weights compared every {settings.record_every} steps)",
        "",
        *report.table(("dtype", "engine", "final training loss", "held-out accuracy", "time per step",
                       "largest weight difference to torch"), rows), "",
        *report.picture("curves.png", "both engines' curves overlaid"),
        *report.picture("difference.png", "largest weight difference by step"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    dtypes = [d for d in DTYPES if d in results]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    for i, dtype in enumerate(dtypes):
        for name, style in (("torch", {"linestyle": "-", "linewidth": 2.5, "alpha": 0.5}),
                            ("scratch", {"linestyle": "--", "linewidth": 1.2})):
            label = f"{name} {dtype}"
            plots.band(axes[0, 0], results[dtype][name]["train_loss"], label, color=f"C{i}", **style)
            plots.band(axes[0, 1], results[dtype][name]["test_acc"], label, color=f"C{i}", **style)
    plots.finish(axes[0, 0], "training loss (lines overlap)", "epoch", "cross-entropy", yscale="log")
    plots.finish(axes[0, 1], "held-out accuracy", "epoch", "accuracy", legend=False)
    pictures = [plots.save(fig, folder, "curves.png")]
    fig, axes = plots.figure(1, 1, 5.0, 3.4)
    for i, dtype in enumerate(dtypes):
        run = results[dtype]
        plots.band(axes[0, 0], run["max_difference"], dtype, x=run["recorded_at"]["mean"], color=f"C{i}")
        axes[0, 0].axhline(run["eps"]["mean"], color=f"C{i}", linestyle=":", linewidth=1, label=f"{dtype} epsilon")
    plots.finish(axes[0, 0], "largest |w_scratch - w_torch|", "step", "difference", yscale="log")
    pictures.append(plots.save(fig, folder, "difference.png"))
    return pictures

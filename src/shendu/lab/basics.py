"""`shendu lab basics`: the framework chapter's first models (source 002): linear regression on
y = x, the same on a noisy line, and the 10-5-1 feed-forward network."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.engines import Engine, linear_init
from shendu.lab.stats import fmt
from shendu.lab.training import batches

TITLE = "Basics: linear regression by gradient descent, and the 10-5-1 network"
QUESTION = (
    "Source 002 starts its PyTorch chapter by fitting `nn.Linear(1, 1)` to x = 1..5, y = x with Adam (lr 0.01, "
    "500 epochs) and expects the model to answer 6 for x = 6; it then defines a 10-5-1 feed-forward network "
    "(`fc1 = nn.Linear(10, 5)`, ReLU, `fc2 = nn.Linear(5, 1)`). This experiment fits the line with plain gradient "
    "descent and with the documents' Adam from the same start, draws the loss surface over (w, b) with the path "
    "each takes, fits a noisy line and compares it with the exact least-squares answer, and trains the 10-5-1 "
    "network beside a linear model on a target that is not linear."
)
LINE_X = np.arange(1.0, 6.0)  # the documents' x_train = [1, 2, 3, 4, 5], y_train = x_train


@dataclass
class Settings:
    """Sizes of the basics experiment (defaults: about 20 s on 2 cores)."""

    line_epochs: int = 500
    line_gd_lr: float = 0.05
    line_adam_lr: float = 0.01
    noisy_points: int = 40
    noisy_slope: float = 2.0
    noisy_intercept: float = 1.0
    noisy_noise: float = 0.5
    noisy_epochs: int = 300
    noisy_lr: float = 0.1
    ffn_train: int = 800
    ffn_test: int = 400
    ffn_epochs: int = 60
    ffn_batch_size: int = 32
    ffn_lr: float = 0.01
    ffn_hidden: int = 5
    path_every: int = 5


QUICK = Settings(line_epochs=60, noisy_epochs=40, ffn_train=200, ffn_test=100, ffn_epochs=3)


# -- one seed -----------------------------------------------------------------------------------


def fit_line(engine: Engine, x: np.ndarray, y: np.ndarray, start: dict[str, np.ndarray], optimizer: str, lr: float,
             epochs: int, every: int) -> dict[str, Any]:
    """Full-batch training of ``nn.Linear(1, 1)`` on mean squared error; the (w, b) path and loss."""
    model = engine.load(engine.nn.Linear(1, 1), start)
    make = engine.optim.SGD if optimizer == "gd" else engine.optim.Adam
    opt = make(model.parameters(), lr=lr)
    inputs, targets = engine.tensor(x[:, None].astype(np.float32)), engine.tensor(y[:, None].astype(np.float32))
    path_w, path_b, losses, recorded = [float(start["weight"][0, 0])], [float(start["bias"][0])], [], []
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        loss = engine.F.mse_loss(model(inputs), targets)
        loss.backward()
        opt.step()
        if epoch <= 20 or epoch % every == 0 or epoch == epochs:  # every early step: the path's turns
            losses.append(float(loss.item()))
            state = engine.state(model)
            path_w.append(float(state["weight"][0, 0]))
            path_b.append(float(state["bias"][0]))
            recorded.append(epoch)
    with engine.lib.no_grad():
        final_loss = float(engine.F.mse_loss(model(inputs), targets).item())
    return {"optimizer": optimizer, "lr": lr, "epochs": epochs, "w": path_w[-1], "b": path_b[-1],
            "prediction_at_6": path_w[-1] * 6 + path_b[-1], "final_loss": final_loss, "loss": losses, "loss_epochs": recorded,
            "path_w": path_w, "path_b": path_b}


def ffn_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten standard-normal inputs; a target no straight line fits:
    sin(2 x0) + x1 x2 + max(x3, 0) - 0.5 x4 + noise (sd 0.1); x5..x9 are distractors."""
    x = rng.standard_normal((n, 10))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + np.maximum(x[:, 3], 0) - 0.5 * x[:, 4]
    y = y + 0.1 * rng.standard_normal(n)
    return x.astype(np.float32), y[:, None].astype(np.float32)


def train_regressor(engine: Engine, sizes: tuple[int, ...], data: tuple[np.ndarray, ...], settings: Settings,
                    rng: np.random.Generator, seed: int) -> dict[str, Any]:
    """Adam on mean squared error, mini-batches; the held-out MSE per epoch."""
    x_train, y_train, x_test, y_test = data
    model = engine.load(engine.mlp(sizes, "relu"), linear_init(rng, sizes))
    opt = engine.optim.Adam(model.parameters(), lr=settings.ffn_lr)
    x, y, xt, yt = (engine.tensor(a) for a in data)
    curve = []
    for epoch in batches(len(x_train), settings.ffn_batch_size, settings.ffn_epochs, seed):
        for index in epoch:
            opt.zero_grad()
            loss = engine.F.mse_loss(model(x[index]), y[index])
            loss.backward()
            opt.step()
        with engine.lib.no_grad():
            curve.append(float(engine.F.mse_loss(model(xt), yt).item()))
    variance = float(np.var(y_test))
    return {"sizes": "-".join(map(str, sizes)), "parameters": sum(int(np.prod(v.shape)) for v in engine.state(model).values()),
            "test_mse": curve[-1], "r2": 1 - curve[-1] / variance, "curve": curve}


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """y = x by gradient descent and by Adam; the noisy line; the 10-5-1 network and a linear model."""
    rng = np.random.default_rng([seed, 0])
    start = {"weight": rng.uniform(-1, 1, (1, 1)).astype(np.float32), "bias": rng.uniform(-1, 1, (1,)).astype(np.float32)}
    line = {name: fit_line(engine, LINE_X, LINE_X, start, name, lr, settings.line_epochs, settings.path_every)
            for name, lr in (("gd", settings.line_gd_lr), ("adam", settings.line_adam_lr))}
    noisy_rng = np.random.default_rng([seed, 1])
    x = noisy_rng.uniform(-2, 2, settings.noisy_points)
    y = settings.noisy_slope * x + settings.noisy_intercept + settings.noisy_noise * noisy_rng.standard_normal(len(x))
    fit = fit_line(engine, x, y, start, "gd", settings.noisy_lr, settings.noisy_epochs, settings.path_every)
    slope, intercept = np.polyfit(x, y, 1)  # the exact least-squares line
    noisy = {"x": x, "y": y, "w": fit["w"], "b": fit["b"], "least_squares_w": slope, "least_squares_b": intercept,
             "gap_to_least_squares": max(abs(fit["w"] - slope), abs(fit["b"] - intercept)),
             "true_w": settings.noisy_slope, "true_b": settings.noisy_intercept, "noise": settings.noisy_noise,
             "slope_error": abs(slope - settings.noisy_slope)}
    ffn_rng = np.random.default_rng([seed, 2])
    x_train, y_train = ffn_data(ffn_rng, settings.ffn_train)
    x_test, y_test = ffn_data(ffn_rng, settings.ffn_test)
    data = (x_train, y_train, x_test, y_test)
    ffn = {"network": train_regressor(engine, (10, settings.ffn_hidden, 1), data, settings, ffn_rng, seed),
           "linear": train_regressor(engine, (10, 1), data, settings, ffn_rng, seed)}
    return {"line": line, "noisy": noisy, "ffn": ffn}


def run_once(settings: Settings, engine: Engine) -> dict[str, Any]:
    """The curvature of the y = x loss surface: eigenvalues of the Hessian of mean((w x + b - x)^2)."""
    hessian = 2 * np.array([[np.mean(LINE_X**2), np.mean(LINE_X)], [np.mean(LINE_X), 1.0]])
    low, high = np.linalg.eigvalsh(hessian)
    return {"curvature_low": low, "curvature_high": high, "condition": high / low}


# -- conclusions ----------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """Sentences about y = x, the loss surface, the noisy line and the 10-5-1 network."""
    gd, adam = results["line"]["gd"], results["line"]["adam"]
    off = {name: abs(run["prediction_at_6"]["mean"] - 6) for name, run in (("gradient descent", gd), ("Adam", adam))}
    closer = min(off, key=off.get)
    first = (f"After {gd['epochs']['mean']:.0f} epochs, gradient descent (lr {gd['lr']['mean']:g}) learns y = x as "
             f"w = {fmt(gd['w'])}, b = {fmt(gd['b'])} and predicts {fmt(gd['prediction_at_6'], 4)} at x = 6 (the documents "
             f"expect 6); Adam with the documents' lr {adam['lr']['mean']:g} predicts {fmt(adam['prediction_at_6'], 4)}: "
             f"{closer} ends closer, {off[closer]:.2g} from 6 against {max(off.values()):.2g}.")
    once = results["once"]
    once, gap, lr = results["once"], abs(gd["b"]["mean"]), gd["lr"]["mean"]
    across, along = abs(1 - lr * once["curvature_high"]), 1 - lr * once["curvature_low"]
    halving = f"every {math.log(0.5) / math.log(along):.0f} epochs" if 0 < along < 1 else "never"
    second = (f"The loss surface over (w, b) is a valley {once['condition']:.0f} times steeper across than along "
              f"(Hessian eigenvalues {once['curvature_high']:.3g} and {once['curvature_low']:.3g}): each step of "
              f"gradient descent at lr {lr:g} multiplies the error across the valley by |1 - lr·λmax| = {across:.2g} "
              f"but the error along it by 1 - lr·λmin = {along:.3g}, which halves it only {halving}; after "
              f"{gd['epochs']['mean']:.0f} epochs b is {gap:.2g} from the exact 0.")
    noisy = results["noisy"]
    third = (f"On the noisy line (w = {noisy['true_w']['mean']:g}, b = {noisy['true_b']['mean']:g}, noise sd "
             f"{noisy['noise']['mean']:g}), gradient descent ends within {noisy['gap_to_least_squares']['max']:.2g} of "
             f"the exact least-squares line (w = {fmt(noisy['least_squares_w'])}, b = {fmt(noisy['least_squares_b'])}); "
             f"it is the noise, not the optimizer, that leaves the slope {fmt(noisy['slope_error'], 2)} from the truth.")
    network, linear = results["ffn"]["network"], results["ffn"]["linear"]
    gain = (network["r2"]["mean"] - linear["r2"]["mean"]) * 100
    verdict = (f"the hidden layer explains {gain:.0f} points more of the variance" if gain > 0 else
               f"the linear model explains {-gain:.0f} points more of the variance: the hidden layer did not help here")
    fourth = (f"On a target that is not linear, the {network['sizes']} ReLU network ({network['parameters']['mean']:.0f} "
              "parameters) "
              f"reaches a held-out mean squared error of {fmt(network['test_mse'])} (R² {fmt(network['r2'], 2)}), the "
              f"linear model ({linear['parameters']['mean']:.0f} parameters) {fmt(linear['test_mse'])} "
              f"(R² {fmt(linear['r2'], 2)}): {verdict}.")
    return [first, second, third, fourth]


# -- report ---------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    line_rows = [(name, f"{run['lr']['mean']:g}", fmt(run["w"], 4), fmt(run["b"], 3), fmt(run["prediction_at_6"], 4),
                  fmt(run["final_loss"], 3))
                 for name, run in (("gradient descent", results["line"]["gd"]), ("Adam (the documents')",
                                                                                 results["line"]["adam"]))]
    noisy = results["noisy"]
    noisy_rows = [("gradient descent", fmt(noisy["w"], 4), fmt(noisy["b"], 4)),
                  ("least squares (exact)", fmt(noisy["least_squares_w"], 4), fmt(noisy["least_squares_b"], 4)),
                  ("the true line", f"{noisy['true_w']['mean']:g}", f"{noisy['true_b']['mean']:g}")]
    ffn_rows = [(name, f"{run['parameters']['mean']:.0f}", fmt(run["test_mse"]), fmt(run["r2"], 2))
                for name, run in ((f"10-{settings.ffn_hidden}-1 ReLU", results["ffn"]["network"]),
                                  ("linear 10-1", results["ffn"]["linear"]))]
    return [
        f"## y = x on x = 1..5 ({settings.line_epochs} full-batch epochs from the same start per seed)", "",
        *report.table(("optimizer", "lr", "w", "b", "prediction at x = 6", "final loss"), line_rows), "",
        *report.picture("line_path.png", "loss surface and paths"),
        f"## A noisy line ({settings.noisy_points} points, {settings.noisy_epochs} epochs, lr {settings.noisy_lr:g})", "",
        *report.table(("fit", "w", "b"), noisy_rows), "",
        *report.picture("noisy_line.png", "noisy line"),
        f"## The 10-5-1 network ({settings.ffn_train} training and {settings.ffn_test} held-out examples, Adam "
        f"lr {settings.ffn_lr:g}, batch {settings.ffn_batch_size}, {settings.ffn_epochs} epochs)", "",
        *report.table(("model", "parameters", "held-out MSE", "R²"), ffn_rows), "",
        *report.picture("ffn.png", "10-5-1 network"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    line = results["line"]
    fig, axes = plots.figure(1, 2, 4.3, 3.6)
    w, b = np.meshgrid(np.linspace(-1.3, 2.0, 200), np.linspace(-1.6, 1.6, 200))
    surface = np.mean((w[..., None] * LINE_X + b[..., None] - LINE_X) ** 2, axis=-1)
    ax = axes[0, 0]
    ax.contour(w, b, np.log10(surface + 1e-6), levels=14, colors="0.6", linewidths=0.6, linestyles="solid")
    for name, style in (("gd", "-"), ("adam", "--")):
        for i, (ws, bs) in enumerate(zip(line[name]["path_w"]["values"], line[name]["path_b"]["values"], strict=True)):
            ax.plot(ws, bs, style, color="tab:red" if name == "gd" else "tab:blue", linewidth=1.2,
                    label=("gradient descent" if name == "gd" else "Adam") if i == 0 else None)
    ax.plot([1], [0], "k*", markersize=10, label="minimum (1, 0)")
    plots.finish(ax, "y = x: loss surface and paths", "w", "b")
    for name, label in (("gd", "gradient descent"), ("adam", "Adam")):
        plots.band(axes[0, 1], line[name]["loss"], label, x=line[name]["loss_epochs"]["mean"])
    plots.finish(axes[0, 1], "training loss", "epoch", "mean squared error", yscale="log")
    names = [plots.save(fig, folder, "line_path.png")]
    noisy = results["noisy"]
    fig, axes = plots.figure(1, 1, 5.0, 3.6)
    ax = axes[0, 0]
    x, y = np.array(noisy["x"]["values"][0]), np.array(noisy["y"]["values"][0])
    grid = np.linspace(x.min(), x.max(), 2)
    ax.scatter(x, y, s=10, color="grey", label="data (first seed)")
    for key_w, key_b, label, style in (("w", "b", "gradient descent", "-"),
                                       ("least_squares_w", "least_squares_b", "least squares", "--"),
                                       ("true_w", "true_b", "true line", ":")):
        ax.plot(grid, noisy[key_w]["values"][0] * grid + noisy[key_b]["values"][0], style, label=label)
    plots.finish(ax, "a noisy line", "x", "y")
    names.append(plots.save(fig, folder, "noisy_line.png"))
    fig, axes = plots.figure(1, 1, 5.0, 3.6)
    for key, label in (("network", "10-5-1 ReLU"), ("linear", "linear 10-1")):
        plots.band(axes[0, 0], results["ffn"][key]["curve"], label)
    plots.finish(axes[0, 0], "held-out mean squared error", "epoch", "MSE", yscale="log")
    names.append(plots.save(fig, folder, "ffn.png"))
    return names

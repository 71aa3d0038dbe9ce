"""`shendu lab init-and-depth`: vanishing and exploding gradients by depth and initialisation, and how
residual connections and batch normalisation fix them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import digits
from shendu.lab.engines import Engine
from shendu.lab.stats import count_text, fmt, pct
from shendu.lab.training import train_classifier

TITLE = "Initialisation and depth: vanishing and exploding gradients, and their fixes"
QUESTION = (
    "Source 001 names vanishing and exploding gradients as the problem of deep networks (eased by ReLU and gradient "
    "clipping); source 000 lists residual connections (`x + layer(x)`) and batch normalisation against them, and "
    "initialises its own networks in two ways: `np.random.randn(...) * 0.01` (its SimpleNeuralNetwork) and "
    "`np.random.randn(...)` (its Neuron). This experiment builds fully connected networks of 64 units per layer, "
    "from 2 to 32 Linear layers deep, with weights drawn four ways - N(0, 0.01²) (the documents' small one), "
    "Xavier/Glorot N(0, 2/(fan_in + fan_out)) (Glorot & Bengio, 2010), He/Kaiming N(0, 2/fan_in) (He et al., 2015) "
    "and N(0, 1) (the documents' large one), biases zero - and measures on one batch of digits the gradient of "
    "the loss reaching each layer's weights (in float64, so that no number overflows), with ReLU and with tanh. "
    "Then it trains the deepest network on the digits with the small and the large initialisation, plain, with "
    "residual connections (each hidden layer adds its output to its input), with batch normalisation, and with "
    "both, beside the plain network with He's initialisation."
)
INITS = ("small", "xavier", "he", "large")
INIT_NAMES = {"small": "N(0, 0.01²)", "xavier": "Xavier", "he": "He", "large": "N(0, 1)"}
ARCHITECTURES = ("plain", "residual", "batch_norm", "residual_batch_norm")
ARCH_NAMES = {"plain": "plain", "residual": "residual", "batch_norm": "batch norm",
              "residual_batch_norm": "residual + batch norm"}
VANISHED, EXPLODED = 1e-6, 1e6  # a gradient norm below / above this is called vanished / exploded


@dataclass
class Settings:
    """Sizes of the init-and-depth experiment (defaults: about a minute on 2 cores)."""

    depths: list[int] = field(default_factory=lambda: [2, 4, 8, 16, 32])
    width: int = 64
    activations: list[str] = field(default_factory=lambda: ["relu", "tanh"])
    probe_batch: int = 256
    train_inits: list[str] = field(default_factory=lambda: ["small", "large"])
    epochs: int = 6
    batch_size: int = 32
    lr: float = 0.01
    momentum: float = 0.9
    train_limit: int | None = None


QUICK = Settings(depths=[2, 4], width=8, probe_batch=16, epochs=1, train_limit=64)


# -- the networks -------------------------------------------------------------------------------------


@functools.cache
def _residual_class(nn: Any) -> type:
    class Residual(nn.Module):
        """``x + body(x)``: the documents' residual connection (He et al., 2016)."""

        def __init__(self, body: Any) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Any) -> Any:
            return x + self.body(x)

    return Residual


def build(engine: Engine, depth: int, width: int, activation: str, architecture: str = "plain",
          dtype: str = "float32") -> Any:
    """``depth`` Linear layers: 64 -> width, (depth - 2) hidden width -> width, width -> 10. A hidden layer is
    ``Linear -> [BatchNorm1d] -> activation``, wrapped as ``x + layer(x)`` for the residual architectures."""
    norm = architecture in ("batch_norm", "residual_batch_norm")
    residual = architecture in ("residual", "residual_batch_norm")

    def hidden(fan_in: int) -> list[Any]:
        parts = [engine.nn.Linear(fan_in, width)]
        if norm:
            parts.append(engine.nn.BatchNorm1d(width))
        return [*parts, engine.activation(activation)]

    layers = hidden(64)
    for _ in range(depth - 2):
        block = engine.nn.Sequential(*hidden(width))
        layers.append(_residual_class(engine.nn)(block) if residual else block)
    model = engine.nn.Sequential(*layers, engine.nn.Linear(width, 10))
    return model.double() if dtype == "float64" else model


def linears(engine: Engine, model: Any) -> list[tuple[str, Any]]:
    """The Linear layers of ``model`` by name, input side first."""
    return [(name, module) for name, module in model.named_modules() if isinstance(module, engine.nn.Linear)]


def initialise(engine: Engine, model: Any, init: str, rng: np.random.Generator) -> Any:
    """Draw every Linear weight from ``init``'s normal distribution (biases zero), from ``rng``: the same
    numbers in either engine. Other layers (batch norm) keep their own start (weight 1, bias 0)."""
    state = engine.state(model)
    for name, layer in linears(engine, model):
        fan_out, fan_in = layer.weight.shape
        std = {"small": 0.01, "xavier": np.sqrt(2.0 / (fan_in + fan_out)), "he": np.sqrt(2.0 / fan_in),
               "large": 1.0}[init]
        dtype = state[f"{name}.weight"].dtype
        state[f"{name}.weight"] = rng.normal(0.0, std, (fan_out, fan_in)).astype(dtype)
        state[f"{name}.bias"] = np.zeros(fan_out, dtype)
    return engine.load(model, state)


def gradient_by_layer(engine: Engine, model: Any, x: np.ndarray, y: np.ndarray) -> list[float | None]:
    """``||d loss / d W_l||`` for every Linear layer, input side first (``None`` where not finite)."""
    model.train()
    loss = engine.F.cross_entropy(model(engine.tensor(x)), engine.tensor(y))
    loss.backward()
    with np.errstate(over="ignore", invalid="ignore"):  # an exploded gradient overflows: reported as None
        norms = [float(np.linalg.norm(engine.numpy(layer.weight.grad))) for _, layer in linears(engine, model)]
    return [v if np.isfinite(v) else None for v in norms]


# -- one seed -----------------------------------------------------------------------------------------


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Gradients at initialisation by depth, init and activation; the deepest network trained."""
    data = digits(settings.train_limit)
    probe = np.random.default_rng([seed, 1]).permutation(len(data.y_train))[:settings.probe_batch]
    x, y = data.x_train[probe].astype(np.float64), data.y_train[probe]
    out: dict[str, Any] = {"depths": [float(d) for d in settings.depths]}
    for activation in settings.activations:
        by_init: dict[str, Any] = {}
        for init in INITS:
            first, last = [], []
            for depth in settings.depths:
                model = build(engine, depth, settings.width, activation, dtype="float64")
                norms = gradient_by_layer(engine, initialise(engine, model, init, np.random.default_rng([seed, depth])),
                                          x, y)
                first.append(norms[0])
                last.append(norms[-1])
                if depth == settings.depths[-1]:
                    by_init[init] = {"by_layer": norms}
            by_init[init].update({"first_layer": first, "last_layer": last})
        out[activation] = by_init
    deepest = settings.depths[-1]
    runs: dict[str, Any] = {}
    variants = [(init, arch) for init in settings.train_inits for arch in ARCHITECTURES] + [("he", "plain")]
    for init, architecture in variants:
        model = initialise(engine, build(engine, deepest, settings.width, "relu", architecture), init,
                           np.random.default_rng([seed, deepest]))
        norms = gradient_by_layer(engine, model, x.astype(np.float32), y)
        optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum)
        history = train_classifier(engine, model, optimizer, data, settings.epochs, settings.batch_size, seed)
        finished = len(history["test_acc"]) == settings.epochs
        runs[f"{init} {architecture}"] = {
            "train_loss": history["train_loss"], "test_acc": history["test_acc"],
            "final_test_acc": history["test_acc"][-1] if finished else None, "diverged": 0.0 if finished else 1.0,
            "grad_by_layer": norms}
    out["trained"] = runs
    return out


# -- conclusions ------------------------------------------------------------------------------------------


def _state(value: float | None) -> str:
    if value is None:
        return "overflowed"
    if value < VANISHED:
        return "vanished"
    return "exploded" if value > EXPLODED else "healthy"


def conclude(results: dict[str, Any]) -> list[str]:
    """Which inits vanish or explode at which depth, for each activation; what the fixes recovered."""
    depths = [int(d) for d in results["depths"]["mean"]]
    activations = [a for a in ("relu", "tanh") if a in results]
    sentences = []
    for activation in activations:
        parts = []
        for init in INITS:
            first = results[activation][init]["first_layer"]["mean"]
            bad = next(((d, v) for d, v in zip(depths, first, strict=True) if _state(v) != "healthy"), None)
            if bad is None:
                parts.append(f"{INIT_NAMES[init]} stays between {VANISHED:g} and {EXPLODED:g} up to depth "
                             f"{depths[-1]} ({first[-1]:.2g} there)")
            else:
                depth, value = bad
                parts.append(f"{INIT_NAMES[init]} has {_state(value)} by depth {depth}"
                             + (f" ({value:.1e})" if value is not None else "") +
                             (f", {first[-1]:.1e} at {depths[-1]}" if depth != depths[-1] and first[-1] is not None
                              else ""))
        sentences.append(f"With {'ReLU' if activation == 'relu' else 'tanh'}, the gradient norm reaching the first "
                         f"layer at initialisation: " + "; ".join(parts) + ".")
    if "tanh" in results and "relu" in results:
        tanh, relu = results["tanh"]["large"]["by_layer"]["mean"], results["relu"]["large"]["by_layer"]["mean"]
        if tanh[0] is not None and tanh[-1] and relu[0] is not None and relu[-1]:
            sentences.append(
                f"Through the layers, {depths[-1]} deep from N(0, 1): with tanh the first layer's gradient is "
                f"{tanh[0] / tanh[-1]:.1e} times the last one's (it grows on its way back); with ReLU "
                f"{relu[0] / relu[-1]:.2g} times, for a ReLU network without biases is homogeneous: every layer's "
                f"gradient scales alike, and the whole profile moves up or down with the initialisation.")
    runs = results["trained"]
    accuracy = {name: runs[name]["final_test_acc"]["mean"] for name in runs}

    def shown(name: str) -> str:
        leaf = runs[name]["final_test_acc"]
        return pct(leaf) + (f" ({count_text(leaf)})" if leaf["n"] < len(leaf["values"]) else "") if leaf["n"] \
            else "diverged"

    for init in [i for i in INITS if f"{i} plain" in runs and i != "he"]:
        plain, fixes = f"{init} plain", [f"{init} {a}" for a in ARCHITECTURES[1:] if f"{init} {a}" in runs]
        best = max(fixes, key=lambda n: -1.0 if accuracy[n] is None else accuracy[n])
        start = ("the plain network diverged" if accuracy[plain] is None
                 else f"the plain network reached {shown(plain)} held-out accuracy")
        sentences.append(
            f"Trained {depths[-1]} layers deep with ReLU from {INIT_NAMES[init]}, {start}; with "
            + ", ".join(f"{ARCH_NAMES[n.split(' ', 1)[1]]} {shown(n)}" for n in fixes)
            + (f" - {ARCH_NAMES[best.split(' ', 1)[1]]} recovered most" if accuracy[best] is not None else "")
            + (f" (the plain network from He's initialisation: {shown('he plain')})." if "he plain" in runs else "."))
    return sentences


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    depths = [int(d) for d in results["depths"]["mean"]]
    lines = []
    for activation in [a for a in ("relu", "tanh") if a in results]:
        rows = [(INIT_NAMES[init], *(f"{v:.2g}" if v is not None else "overflow"
                                     for v in results[activation][init]["first_layer"]["mean"]))
                for init in INITS]
        lines += [f"### {activation}: gradient norm reaching the first layer at initialisation", "",
                  *report.table(("init", *(f"depth {d}" for d in depths)), rows), ""]
    runs = results["trained"]
    rows = [(INIT_NAMES[name.split(" ", 1)[0]], ARCH_NAMES[name.split(" ", 1)[1]],
             pct(runs[name]["final_test_acc"]) if runs[name]["final_test_acc"]["n"] else "diverged",
             fmt(runs[name]["diverged"], 2)) for name in runs]
    return [
        f"## Gradients at initialisation ({settings.width} units per layer, one batch of {settings.probe_batch} "
        "digits, float64)", "", *lines,
        *report.picture("by_depth.png", "first-layer gradient by depth"),
        *report.picture("by_layer.png", f"gradient by layer at depth {depths[-1]}"),
        f"## Training {depths[-1]} layers deep (ReLU, SGD lr {settings.lr:g} momentum {settings.momentum:g}, batch "
        f"{settings.batch_size}, {settings.epochs} epochs, float32)", "",
        *report.table(("init", "architecture", "held-out accuracy", "share of seeds diverged"), rows), "",
        *report.picture("training.png", "training the deepest network"),
    ]


def _values(curve: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in curve], dtype=float)


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    depths = [int(d) for d in results["depths"]["mean"]]
    activations = [a for a in ("relu", "tanh") if a in results]
    fig, axes = plots.figure(1, len(activations), 4.4, 3.4)
    for ax, activation in zip(axes[0], activations, strict=True):
        for i, init in enumerate(INITS):
            ax.plot(depths, _values(results[activation][init]["first_layer"]["mean"]), marker="o", color=f"C{i}",
                    label=INIT_NAMES[init])
        ax.axhspan(VANISHED, EXPLODED, color="0.9", zorder=0)
        plots.finish(ax, f"{activation}: first layer's gradient", "depth (Linear layers)", "||d loss / d W_1||",
                     legend=activation == activations[0], yscale="log", xscale="log")
        ax.set_xticks(depths, [str(d) for d in depths])
        ax.minorticks_off()  # dozens of decades: minor ticks cost most of the drawing
    pictures = [plots.save(fig, folder, "by_depth.png")]
    fig, axes = plots.figure(1, len(activations), 4.4, 3.4)
    for ax, activation in zip(axes[0], activations, strict=True):
        for i, init in enumerate(INITS):
            curve = results[activation][init]["by_layer"]
            plots.band(ax, curve, INIT_NAMES[init], color=f"C{i}")
        plots.finish(ax, f"{activation}, {depths[-1]} layers, at initialisation", "layer (1 = input side)",
                     "||d loss / d W_l||", legend=activation == activations[0], yscale="log")
        ax.minorticks_off()  # dozens of decades: minor ticks cost most of the drawing
    pictures.append(plots.save(fig, folder, "by_layer.png"))
    runs = results["trained"]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    styles = {"small": "-", "large": "--", "he": ":"}
    for name in runs:
        init, architecture = name.split(" ", 1)
        label = f"{INIT_NAMES[init]}, {ARCH_NAMES[architecture]}"
        color = "k" if init == "he" else f"C{ARCHITECTURES.index(architecture)}"
        plots.band(axes[0, 0], runs[name]["train_loss"], label, color=color, linestyle=styles.get(init, "-"))
        plots.band(axes[0, 1], runs[name]["test_acc"], label, color=color, linestyle=styles.get(init, "-"))
    plots.finish(axes[0, 0], f"training loss, {depths[-1]} layers", "epoch", "cross-entropy", legend=False,
                 yscale="log")
    plots.finish(axes[0, 1], "held-out accuracy", "epoch", "accuracy")
    axes[0, 1].legend(fontsize=6)
    pictures.append(plots.save(fig, folder, "training.png"))
    return pictures

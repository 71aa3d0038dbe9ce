"""Trainer overhead: the mnist-cnn recipe (Lightning) against a hand-written PyTorch loop.

Both train the same MNISTNet on the same DataLoaders (same data, augmentation, batch size,
optimizer and OneCycle schedule) and validate once per epoch, as the documents' train() and
test() do. Runs alternate (hand, recipe, hand, recipe, ...) so that machine noise hits both;
the first epoch of every run is a warm-up and is left out. Prints the median seconds per
epoch of each and the ratio recipe / hand.

    python benchmarks/trainer_overhead.py [--epochs 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

from shendu.models import build_model, factory_path
from shendu.recipes.mnist_cnn import RECIPE, MnistCnnConfig
from shendu.runfolder import RunFolder
from shendu.train.fit import fit, make_loaders
from shendu.train.module import build_optimizer, build_scheduler


def hand_written_epochs(task, epochs: int) -> list[float]:
    """The documents' loop: zero_grad, forward, loss, backward, step; then a test pass."""
    torch.manual_seed(task.config.seed)
    model = build_model(factory_path(task.factory), task.model_kwargs)
    train_loader, val_loader = make_loaders(task)
    optimizer = build_optimizer(model.parameters(), task.config)
    scheduler = build_scheduler(optimizer, task.config, len(train_loader))["scheduler"]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for data, target in val_loader:
                output = model(data)
                total_loss += F.cross_entropy(output, target, reduction="sum").item()
                correct += (output.argmax(1) == target).sum().item()
        times.append(time.perf_counter() - start)
    return times


def recipe_epochs(task, epochs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        result = fit(task, RunFolder.create(tmp, RECIPE.name))
    return [row["seconds"] for row in result.history]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (first is warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--progress", action="store_true", help="show Lightning's progress bar")
    args = parser.parse_args()

    config = MnistCnnConfig(epochs=args.epochs, progress=args.progress)
    task = RECIPE.make_task(config)
    hand: list[float] = []
    recipe: list[float] = []
    for _ in range(args.rounds):
        hand += hand_written_epochs(task, args.epochs)[1:]
        recipe += recipe_epochs(task, args.epochs)[1:]
    hand_median, recipe_median = statistics.median(hand), statistics.median(recipe)
    ratio = recipe_median / hand_median

    table = Table(title=f"mnist-cnn epoch time, batch {config.batch_size}, {len(task.data.train):,} "
                        f"training images, {torch.get_num_threads()} threads")
    for column in ("loop", "epochs timed", "median s/epoch", "min", "max"):
        table.add_column(column)
    table.add_row("hand-written PyTorch", str(len(hand)), f"{hand_median:.3f}", f"{min(hand):.3f}", f"{max(hand):.3f}")
    table.add_row("shendu recipe (Lightning)", str(len(recipe)), f"{recipe_median:.3f}", f"{min(recipe):.3f}", f"{max(recipe):.3f}")
    console = Console()
    console.print(table)
    verdict = "within" if ratio <= 1.05 else "OVER"
    console.print(f"ratio recipe / hand-written (medians): {ratio:.3f} ({(ratio - 1) * 100:+.1f}% overhead; "
                  f"target <= +5%: {verdict})")
    console.print(f"ratio recipe / hand-written (fastest epochs): {min(recipe) / min(hand):.3f}")


if __name__ == "__main__":
    main()

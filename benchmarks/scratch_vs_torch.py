"""Training throughput of the NumPy engine (shendu.scratch) against PyTorch, same models.

Three workloads, each trained by both engines from the same weights on the same batches:

* MNISTNet (shendu.scratch.zoo.mnist_net vs shendu.models.mnist_net), batch 64, Adam
  (lr 1e-3), train mode with dropout, cross-entropy, on the real MNIST sample
  (load_mnist_sample, scaled to [0, 1] and normalised with mean 0.1307, std 0.3081):
  images per second. Target: scratch / torch >= 0.9 (issue 16).
* The documents' XOR networks, full batch (the 4 points), plain SGD: xor_net(hidden=4)
  (2-4-2, tanh, cross-entropy) and the 2-8-1 sigmoid network with squared error:
  steps per second. Target: scratch / torch >= 2.0 (tiny models are all Python overhead).
* imdb-lstm's model (shendu.scratch.zoo.lstm_classifier vs shendu.models.text.lstm_classifier:
  embedding 128 over 20,000 tokens, 2-layer bidirectional LSTM of 64, dense 64, dropout 0.3),
  batch 64, Adam (lr 2e-3), on right-padded random reviews of 224-256 tokens (--text-tokens; what the
  length-bucketed batches of IMDB look like): reviews per second. Target: scratch / torch
  >= 0.3 (the scratch LSTM is a Python loop over time steps, about 15 ops a step).

Both engines get the same thread count (--threads). After a warm-up, the engines alternate
for --rounds rounds, so that machine noise hits both; the table shows medians over rounds.

    python benchmarks/scratch_vs_torch.py [--threads 2] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

from shendu import models, scratch
from shendu.data.mnist import load_mnist_sample
from shendu.models.text import lstm_classifier
from shendu.scratch import functional as SF

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], np.float32)
XOR_CLASSES = np.array([0, 1, 1, 0], np.int64)

# A runner trains `steps` steps and returns (seconds, last loss).
Runner = Callable[[int], tuple[float, float]]


@dataclass
class Workload:
    """One benchmark row: a runner per engine and how to turn seconds into a rate."""

    name: str
    unit: str  # "images/s" or "steps/s"
    items_per_step: int  # images per step, or 1
    steps: int  # timed steps per round
    warmup: int  # untimed steps before the first round
    target: float  # scratch / torch must reach this
    torch_runner: Runner
    scratch_runner: Runner


@dataclass
class Result:
    workload: Workload
    torch_rates: list
    scratch_rates: list
    torch_loss: float
    scratch_loss: float

    @property
    def torch_rate(self) -> float:
        return statistics.median(self.torch_rates)

    @property
    def scratch_rate(self) -> float:
        return statistics.median(self.scratch_rates)

    @property
    def ratio(self) -> float:
        return self.scratch_rate / self.torch_rate


def mnist_batches(batch_size: int, count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` shuffled batches of normalised MNIST sample images, (B, 1, 28, 28) float32, (B,) int64."""
    images, labels = load_mnist_sample()  # (5000, 28, 28) uint8, (5000,)
    x = ((images.astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD)[:, None]  # (N, 1, 28, 28)
    order = np.random.default_rng(seed).permutation(len(x))
    batches = []
    for i in range(count):
        index = order[(i * batch_size) % len(x):][:batch_size]
        if len(index) < batch_size:
            index = order[:batch_size]
        batches.append((np.ascontiguousarray(x[index]), labels[index]))
    return batches


def _runner(model, optimizer, loss_fn, data: list) -> Runner:
    """The documents' loop over ``data`` in a cycle, the same code for either engine."""
    position = 0

    def run(steps: int) -> tuple[float, float]:
        nonlocal position
        model.train()
        start = time.perf_counter()
        for _ in range(steps):
            x, y = data[position % len(data)]
            position += 1
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        return seconds, loss.item()

    return run


def torch_runner(model: torch.nn.Module, optimizer, loss_fn, batches: list) -> Runner:
    return _runner(model, optimizer, loss_fn, [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches])


def scratch_runner(model: scratch.nn.Module, optimizer, loss_fn, batches: list) -> Runner:
    return _runner(model, optimizer, loss_fn, [(scratch.tensor(x), y) for x, y in batches])


def twins(torch_model: torch.nn.Module, scratch_model: scratch.nn.Module):
    """Give the scratch model the torch model's weights (strict), so both start alike."""
    scratch_model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    return torch_model, scratch_model


def padded_reviews(batch_size: int, count: int, seed: int, vocab_size: int = 20000, longest: int = 256,
                   shortest: int = 224) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` batches of right-padded token ids (B, longest) int64 (0 = padding) and labels (B,)."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        lengths = rng.integers(shortest, longest + 1, batch_size)
        lengths[0] = longest
        ids = rng.integers(1, vocab_size, (batch_size, longest))
        ids[np.arange(longest)[None, :] >= lengths[:, None]] = 0
        batches.append((ids, rng.integers(0, 2, batch_size)))
    return batches


def lstm_text_workload(steps: int, warmup: int, seed: int, longest: int = 256) -> Workload:
    batch_size, kwargs = 64, dict(vocab_size=20000, bidirectional=True)  # imdb-lstm's defaults otherwise
    batches = padded_reviews(batch_size, 4, seed, longest=longest, shortest=longest * 7 // 8)
    torch.manual_seed(seed)
    scratch.manual_seed(seed)
    t_model, s_model = twins(lstm_classifier(**kwargs), scratch.zoo.lstm_classifier(**kwargs))
    return Workload(
        f"imdb-lstm BiLSTM, batch 64 x {longest} tokens, Adam", "reviews/s", batch_size, steps, warmup, 0.3,
        torch_runner(t_model, torch.optim.Adam(t_model.parameters(), lr=2e-3), F.cross_entropy, batches),
        scratch_runner(s_model, scratch.optim.Adam(s_model.parameters(), lr=2e-3), SF.cross_entropy, batches),
    )


def mnist_workload(steps: int, warmup: int, seed: int) -> Workload:
    batch_size = 64
    batches = mnist_batches(batch_size, 5000 // batch_size, seed)  # one epoch of the sample
    torch.manual_seed(seed)
    scratch.manual_seed(seed)
    t_model, s_model = twins(models.mnist_net(), scratch.zoo.mnist_net())
    return Workload(
        "MNISTNet, batch 64, Adam, dropout", "images/s", batch_size, steps, warmup, 0.9,
        torch_runner(t_model, torch.optim.Adam(t_model.parameters(), lr=1e-3), F.cross_entropy, batches),
        scratch_runner(s_model, scratch.optim.Adam(s_model.parameters(), lr=1e-3), SF.cross_entropy, batches),
    )


def xor_workload(steps: int, warmup: int, seed: int) -> Workload:
    torch.manual_seed(seed)
    t_model, s_model = twins(models.xor_net(hidden=4), scratch.zoo.xor_net(hidden=4))
    batches = [(XOR_INPUTS, XOR_CLASSES)]
    return Workload(
        "XOR 2-4-2 tanh, cross-entropy, SGD", "steps/s", 1, steps, warmup, 2.0,
        torch_runner(t_model, torch.optim.SGD(t_model.parameters(), lr=0.1), F.cross_entropy, batches),
        scratch_runner(s_model, scratch.optim.SGD(s_model.parameters(), lr=0.1), SF.cross_entropy, batches),
    )


def xor_sigmoid_mse_workload(steps: int, warmup: int, seed: int) -> Workload:
    """The documents' first network: 2-8-1, sigmoid hidden and output units, squared error."""
    torch.manual_seed(seed)
    nn, snn = torch.nn, scratch.nn
    t_model, s_model = twins(nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1), nn.Sigmoid()),
                             snn.Sequential(snn.Linear(2, 8), snn.Sigmoid(), snn.Linear(8, 1), snn.Sigmoid()))
    batches = [(XOR_INPUTS, XOR_CLASSES[:, None].astype(np.float32))]  # targets (4, 1)
    return Workload(
        "XOR 2-8-1 sigmoid, MSE, SGD", "steps/s", 1, steps, warmup, 2.0,
        torch_runner(t_model, torch.optim.SGD(t_model.parameters(), lr=0.5), F.mse_loss, batches),
        scratch_runner(s_model, scratch.optim.SGD(s_model.parameters(), lr=0.5), SF.mse_loss,
                       [(x, scratch.tensor(y)) for x, y in batches]),
    )


def measure(workload: Workload, rounds: int) -> Result:
    """Warm both engines up, then alternate them for `rounds` rounds; rates per round."""
    workload.torch_runner(workload.warmup)
    workload.scratch_runner(workload.warmup)
    torch_rates, scratch_rates = [], []
    for i in range(rounds):
        # Alternate who goes first, so a slow spell does not always hit the same engine.
        order = ("torch", "scratch") if i % 2 == 0 else ("scratch", "torch")
        for engine in order:
            seconds, loss = getattr(workload, f"{engine}_runner")(workload.steps)
            rate = workload.steps * workload.items_per_step / seconds
            if engine == "torch":
                torch_rates.append(rate)
                torch_loss = loss
            else:
                scratch_rates.append(rate)
                scratch_loss = loss
    return Result(workload, torch_rates, scratch_rates, torch_loss, scratch_loss)


def report(results: list[Result], threads: int, rounds: int, console: Console) -> None:
    table = Table(title=f"shendu.scratch vs torch training throughput: {threads} threads, "
                        f"numpy {np.__version__}, torch {torch.__version__}",
                  caption=f"median of {rounds} alternating rounds after a warm-up; same weights, same batches")
    table.add_column("workload", no_wrap=True)
    table.add_column("steps/round", justify="right")
    table.add_column("torch", justify="right")
    table.add_column("scratch", justify="right")
    table.add_column("unit")
    table.add_column("scratch/torch", justify="right")
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("last loss torch / scratch", justify="right", no_wrap=True)
    for r in results:
        met = "[green]met[/]" if r.ratio >= r.workload.target else "[red]missed[/]"
        table.add_row(r.workload.name, str(r.workload.steps), f"{r.torch_rate:,.0f}", f"{r.scratch_rate:,.0f}",
                      r.workload.unit, f"{r.ratio:.2f}", f">= {r.workload.target:g} {met}",
                      f"{r.torch_loss:.4f} / {r.scratch_loss:.4f}")
    console.print(table)
    for r in results:
        verdict = "met" if r.ratio >= r.workload.target else "MISSED"
        console.print(f"ratio scratch/torch, {r.workload.name}: {r.ratio:.2f} "
                      f"(target >= {r.workload.target:g}: {verdict})", highlight=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="threads for both engines (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timed rounds (default 5)")
    parser.add_argument("--mnist-steps", type=int, default=20, help="timed MNISTNet steps per round (default 20)")
    parser.add_argument("--xor-steps", type=int, default=2000, help="timed XOR steps per round (default 2000)")
    parser.add_argument("--text-steps", type=int, default=4, help="timed BiLSTM steps per round (default 4)")
    parser.add_argument("--text-tokens", type=int, default=256, help="tokens per padded review (default 256)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed MNISTNet steps first (default 5; XOR gets 20 times as many)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run (3 rounds of a few steps)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.mnist_steps, args.xor_steps, args.text_steps, args.text_tokens, args.warmup = 3, 3, 200, 1, 64, 2
    for flag in ("threads", "rounds", "mnist_steps", "xor_steps", "text_steps", "text_tokens"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be a positive integer; got {getattr(args, flag)}")

    torch.set_num_threads(args.threads)
    scratch.set_num_threads(args.threads)
    console = Console()
    if console.width < 140:  # a pipe or a narrow terminal: do not wrap the table
        console = Console(width=140)
    results = [
        measure(mnist_workload(args.mnist_steps, args.warmup, args.seed), args.rounds),
        measure(xor_workload(args.xor_steps, 20 * args.warmup, args.seed), args.rounds),
        measure(xor_sigmoid_mse_workload(args.xor_steps, 20 * args.warmup, args.seed), args.rounds),
        measure(lstm_text_workload(args.text_steps, 1, args.seed, args.text_tokens), args.rounds),
    ]
    report(results, args.threads, args.rounds, console)


if __name__ == "__main__":
    main()

"""`shendu compare RUN...`: every variant of a model side by side, measured in one process on
the same test split: parameters, file size, latency p50/p99 at batch 1 and 32 on 1 and 2
threads, throughput, and the test metric.

Latency is the model's own forward (inputs already preprocessed, as the test split holds
them): what quantization, pruning and ONNX Runtime change. Each (threads, batch) cell times
every run in turn, warm-up calls excluded, so drift of a shared machine hits all of them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from shendu.compress.runs import primary_metric
from shendu.errors import ShenduError
from shendu.predict.formats import OnnxModule
from shendu.predict.predictor import Predictor

THREADS = (1, 2)
BATCHES = (1, 32)


@dataclass
class Figures:
    """One run's row of the comparison."""

    run: str
    method: str
    format: str
    backend: str
    parameters: int
    file_bytes: int
    metric: str
    value: float
    lower_is_better: bool
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # "b1_t1" -> {"p50", "p99"}

    def throughput(self, threads: int) -> float:
        """Examples per second at batch 32 (median latency)."""
        cell = self.latency_ms.get(f"b32_t{threads}")
        return 32 / (cell["p50"] / 1000) if cell else float("nan")


def compare_runs(runs: Sequence[Path | str], calls: int = 50, warmup: int = 5,
                 progress: Callable[[str], Any] | None = None) -> list[Figures]:
    """Load, evaluate and time every run (see the module docstring)."""
    from shendu.predict import load

    if not runs:
        raise ShenduError("`shendu compare` needs at least one RUN.")
    if calls < 5:
        raise ShenduError(f"--calls must be at least 5 (p99 of fewer calls means nothing); got {calls}.")
    predictors = [load(run) for run in runs]
    figures, batches = [], []
    for predictor in predictors:
        if progress:
            progress(f"testing {predictor.run.path.name}")
        if predictor.spec.test_data is None:
            raise ShenduError(f"{predictor.run.path}'s model.json has no `test_data`: it cannot be tested on its split. "
                              "Train it again with this shendu.")
        test = predictor.spec.test_data.build(predictor.spec.input, predictor.run.path)  # built once per run
        metrics = predictor.kind.evaluate(predictor.model, test, predictor.labels, predictor.spec.input)
        name, lower = primary_metric(metrics)
        figures.append(Figures(
            run=str(predictor.run.path), method=predictor.spec.variant.method if predictor.spec.variant else "original",
            format=predictor.spec.format, backend=predictor.spec.variant.backend if predictor.spec.variant else "torch",
            parameters=predictor.spec.num_parameters, file_bytes=_file_bytes(predictor),
            metric=name, value=float(metrics[name]), lower_is_better=lower))
        batches.append(_inputs(test))
    before = torch.get_num_threads()
    try:
        for threads in THREADS:
            for batch in BATCHES:
                if progress:
                    progress(f"timing batch {batch} on {threads} thread{'s' if threads > 1 else ''}")
                for predictor, figure, inputs in zip(predictors, figures, batches, strict=True):
                    _set_threads(predictor, threads)
                    times = _time(predictor.model, inputs[batch], calls, warmup)
                    figure.latency_ms[f"b{batch}_t{threads}"] = {
                        "p50": round(statistics.median(times), 4),
                        "p99": round(sorted(times)[max(0, int(round(0.99 * len(times))) - 1)], 4)}
    finally:
        torch.set_num_threads(before)
    return figures


def _inputs(test: Any) -> dict[int, Any]:
    """The first 1 and 32 test inputs, batched as evaluate batches them."""
    from torch.utils.data import DataLoader

    out = {}
    for size in BATCHES:
        loader = DataLoader(test, batch_size=size, shuffle=False, collate_fn=getattr(test, "collate_fn", None))
        out[size] = next(iter(loader))[0]
    return out


def _set_threads(predictor: Predictor, threads: int) -> None:
    torch.set_num_threads(threads)
    if isinstance(predictor.model, OnnxModule):
        predictor.model.set_threads(threads)


@torch.no_grad()
def _time(model: Any, inputs: Any, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        model(inputs)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        model(inputs)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _file_bytes(predictor: Predictor) -> int:
    for name in ("model.onnx", "model.safetensors"):
        path = predictor.run.file(name)
        if path.is_file():
            return path.stat().st_size
    return 0


# -- rendering ----------------------------------------------------------------------------------


COLUMNS = ("run", "method", "backend", "parameters", "file KB", "metric", "b1 t1 p50/p99 ms", "b1 t2 p50/p99 ms",
           "b32 t1 p50/p99 ms", "b32 t2 p50/p99 ms", "ex/s t1", "ex/s t2")


def rows(figures: Sequence[Figures]) -> list[list[str]]:
    out = []
    for f in figures:
        cells = [Path(f.run).name, f.method, f.backend, f"{f.parameters:,}", f"{f.file_bytes / 1024:,.1f}",
                 f"{f.metric} {f.value:.4f}" if f.metric != "test_acc" else f"acc {f.value * 100:.2f}%"]
        for batch in BATCHES:  # the header's order: b1 t1, b1 t2, b32 t1, b32 t2
            for threads in THREADS:
                cell = f.latency_ms[f"b{batch}_t{threads}"]
                cells.append(f"{cell['p50']:.3f} / {cell['p99']:.3f}")
        cells += [f"{f.throughput(t):,.0f}" for t in THREADS]
        out.append(cells)
    return out


def verdict(figures: Sequence[Figures]) -> str:
    """Computed sentences: each variant against the first run (the reference)."""
    if len(figures) < 2:
        return ""
    base = figures[0]
    lines = []
    for f in figures[1:]:
        speed = base.latency_ms["b1_t1"]["p50"] / f.latency_ms["b1_t1"]["p50"]
        size = base.file_bytes / max(f.file_bytes, 1)
        if f.metric == "test_acc":
            change = f"{(f.value - base.value) * 100:+.2f} accuracy points"
        else:
            change = f"{f.metric} {f.value:.4g} vs {base.value:.4g}"
        faster = f"{speed:.2f}x faster" if speed >= 1 else f"{1 / speed:.2f}x slower"
        smaller = f"{size:.2f}x smaller" if size >= 1 else f"{1 / size:.2f}x larger"
        lines.append(f"- `{Path(f.run).name}` ({f.method}): {faster} at batch 1 on 1 thread, {smaller} on disk, "
                     f"{change} against `{Path(base.run).name}`.")
    return "\n".join(lines)


def markdown(figures: Sequence[Figures]) -> str:
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "\n".join("| " + " | ".join(cells) + " |" for cells in rows(figures))
    return head + body + "\n\n" + verdict(figures) + "\n"


def write_comparison(figures: Sequence[Figures], folder: Path, command: str) -> None:
    """compare.md (the table, the verdict, the command), compare.json, compare.png."""
    from shendu.runfolder import atomic_write_json, atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    text = (f"# Comparison of {len(figures)} runs\n\nMeasured by `{command}` in one process; latency is the model's "
            "forward on test inputs already preprocessed (median and 99th percentile of the timed calls, warm-up "
            "excluded); ex/s is examples per second at batch 32.\n\n" + markdown(figures))
    atomic_write_text(folder / "compare.md", text)
    atomic_write_json(folder / "compare.json", [asdict(f) for f in figures])
    plot(figures, folder / "compare.png")


def plot(figures: Sequence[Figures], path: Path) -> None:
    """The metric against batch-1 latency on 1 thread; marker area proportional to file size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    biggest = max(f.file_bytes for f in figures) or 1
    for f in figures:
        x, y = f.latency_ms["b1_t1"]["p50"], f.value * (100 if f.metric == "test_acc" else 1)
        ax.scatter([x], [y], s=40 + 900 * f.file_bytes / biggest, alpha=0.6)
        ax.annotate(f"{f.method}\n{f.file_bytes / 1024:,.0f} KB", (x, y), textcoords="offset points", xytext=(6, 6),
                    fontsize=8)
    ax.set_xlabel("latency at batch 1, 1 thread (ms, median)")
    ax.set_ylabel("test accuracy (%)" if figures[0].metric == "test_acc" else figures[0].metric)
    ax.set_title("accuracy against latency (marker size: file size)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

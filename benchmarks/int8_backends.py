"""int8 backends on this CPU: torchao against torch.ao against float32, per layer type, at
batch 1 on 1 thread (what `shendu compress --quantize dynamic` chooses between).

Layers: a 3-layer MLP (128-512-512-10), an embedding table of 20,000 x 128 read 300 tokens at
a time (imdb-lstm's), and a one-layer LSTM (128 -> 64) over 300 steps. Each variant is timed
in turn, ``--rounds`` times, median of the rounds' mean call times; ratio = float32 / variant
(> 1: faster than float32).

    python benchmarks/int8_backends.py [--calls 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import torch
from rich.console import Console
from rich.table import Table
from torch import nn


class _LSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(128, 64, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]


class _Bag(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(20000, 128, padding_idx=0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids).mean(1)


def variants(layer: str, model: nn.Module) -> dict[str, nn.Module]:
    from torch.ao.quantization import (
        default_dynamic_qconfig,
        float_qparams_weight_only_qconfig,
        quantize_dynamic,
    )
    from torchao.quantization import (
        Int8DynamicActivationInt8WeightConfig,
        Int8WeightOnlyConfig,
        quantize_,
    )

    out = {"float32": model}
    if layer == "LSTM":
        out["torch.ao dynamic int8"] = quantize_dynamic(copy.deepcopy(model), {nn.LSTM}, dtype=torch.qint8)
        return out
    kind = nn.Linear if layer == "Linear" else nn.Embedding
    if layer == "Linear":
        m = copy.deepcopy(model)
        quantize_(m, Int8DynamicActivationInt8WeightConfig())
        out["torchao int8 dynamic"] = m
    m = copy.deepcopy(model)
    quantize_(m, Int8WeightOnlyConfig(), filter_fn=lambda mod, _: isinstance(mod, kind))
    out["torchao int8 weight-only"] = m
    qconfig = default_dynamic_qconfig if layer == "Linear" else float_qparams_weight_only_qconfig
    out["torch.ao int8"] = quantize_dynamic(copy.deepcopy(model), {kind: qconfig}, dtype=torch.qint8)
    return out


@torch.no_grad()
def mean_call(model: nn.Module, x: torch.Tensor, calls: int) -> float:
    for _ in range(max(3, calls // 20)):
        model(x)
    start = time.perf_counter()
    for _ in range(calls):
        model(x)
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cases = {
        "Linear": (nn.Sequential(nn.Linear(128, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)),
                   torch.randn(1, 128), args.calls),
        "Embedding": (_Bag(), torch.randint(1, 20000, (1, 300)), args.calls),
        "LSTM": (_LSTM(), torch.randn(1, 300, 128), max(10, args.calls // 10)),
    }
    table = Table(title=f"int8 backends, batch 1, 1 thread, torch {torch.__version__}, engine "
                        f"{torch.backends.quantized.engine} (median of {args.rounds} rounds)")
    for column in ("layer", "variant", "microseconds per call", "vs float32"):
        table.add_column(column)
    for layer, (model, x, calls) in cases.items():
        models = variants(layer, model.eval())
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(args.rounds):
            for name, m in models.items():
                times[name].append(mean_call(m, x, calls))
        base = statistics.median(times["float32"])
        for name, values in times.items():
            t = statistics.median(values)
            ratio = base / t
            shown = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
            table.add_row(layer, name, f"{t:,.1f}", shown if name != "float32" else "—")
    Console().print(table)


if __name__ == "__main__":
    main()

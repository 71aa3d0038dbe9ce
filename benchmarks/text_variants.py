"""imdb-lstm's network (the recipe's defaults: 20,000-token vocabulary, embedding 128, 2-layer
BiLSTM 64, dense 64) as float32 torch, torch.ao int8 (Linear + Embedding; + LSTM), ONNX
Runtime float32 and ONNX Runtime dynamic int8: file size and latency at batch 1 on 1 thread.

Size and latency do not depend on the trained values of the weights, so this measures them on
the architecture with seeded random weights and review lengths drawn from the shipped IMDB
test reviews' token counts (cut at 400, as the recipe does); accuracy needs a trained run
(`shendu compare RUN RUN-int8 ...`). Each variant is timed in turn, ``--rounds`` times, on the
same ``--reviews`` inputs; the median of the per-round mean call times is shown.

    python benchmarks/text_variants.py [--reviews 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from rich.console import Console
from rich.table import Table

from shendu.compress.onnx import export_onnx, ort_quantize_dynamic
from shendu.compress.quantize import int8_encode, quantizable_weights
from shendu.models.text import lstm_classifier
from shendu.predict.formats import OnnxModule, quantize_dynamic_layers
from shendu.recipes.imdb_lstm import RECIPE


def safetensors_bytes(state: dict[str, torch.Tensor]) -> int:
    from safetensors.torch import save

    return len(save({k: v.contiguous() for k, v in state.items()}))


def review_lengths(count: int) -> list[int]:
    """Word counts of the first ``count`` shipped IMDB test reviews, cut at 400 tokens."""
    from shendu.data.text import load_text_splits

    splits = load_text_splits(data=None, shipped="imdb")
    return [min(400, max(1, len(text.split()))) for text in splits.test[0][:count]]


@torch.no_grad()
def mean_call(model: torch.nn.Module, inputs: list[torch.Tensor]) -> float:
    for x in inputs[:3]:
        model(x)
    start = time.perf_counter()
    for x in inputs:
        model(x)
    return (time.perf_counter() - start) / len(inputs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = lstm_classifier(**RECIPE.model_kwargs(RECIPE.default_config())).eval()
    lengths = review_lengths(args.reviews)
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randint(2, 20000, (1, n), generator=generator) for n in lengths]
    state = model.state_dict()
    onnx_data = export_onnx(model, inputs[0], sequence_axis=True)
    onnx_int8 = ort_quantize_dynamic(onnx_data)
    variants = {
        "float32 torch": (model, safetensors_bytes(state)),
        "int8 torch.ao (Linear, Embedding)": (
            quantize_dynamic_layers(model, ["Linear", "Embedding"]),
            safetensors_bytes(int8_encode(state, quantizable_weights(model, ["Linear", "Embedding"])))),
        "int8 torch.ao (Linear, Embedding, LSTM)": (
            quantize_dynamic_layers(model, ["Linear", "Embedding", "LSTM"]),
            safetensors_bytes(int8_encode(state, quantizable_weights(model, ["Linear", "Embedding", "LSTM"])))),
        "ONNX Runtime float32": (OnnxModule(onnx_data, threads=1), len(onnx_data)),
        "ONNX Runtime dynamic int8": (OnnxModule(onnx_int8, threads=1), len(onnx_int8)),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (m, _) in variants.items():
            times[name].append(mean_call(m, inputs))
    base_time, base_size = statistics.median(times["float32 torch"]), variants["float32 torch"][1]
    table = Table(title=f"imdb-lstm network, batch 1, 1 thread, {len(inputs)} reviews of {min(lengths)}-{max(lengths)} "
                        f"tokens (median {int(statistics.median(lengths))}), median of {args.rounds} rounds")
    for column in ("variant", "file bytes", "smaller", "ms per review", "faster (< 1: slower)"):
        table.add_column(column)
    for name, (_, size) in variants.items():
        t = statistics.median(times[name])
        table.add_row(name, f"{size:,}", f"{base_size / size:.2f}x", f"{t:.3f}", f"{base_time / t:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()

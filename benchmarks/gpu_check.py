"""GPU check: train every recipe briefly on the GPU, then predict with the result, and print one
Markdown table for benchmarks/RESULTS.md (`make gpu-check`).

Each recipe trains for one epoch (on a slice of its data where it has ``train_limit``) with
``--set accelerator=<device>``, ``16-mixed`` precision on CUDA where it applies, then the run is
loaded with ``shendu.load`` and predicts. The table gives
the wall time, training throughput, the test metric after that one epoch and the latency of
one prediction through ``shendu.load`` (which predicts on the CPU: the service and the CLI load
run folders there). A recipe that fails is a row with its error, not a crash of the script.

    python benchmarks/gpu_check.py                 # every recipe, on CUDA
    python benchmarks/gpu_check.py --device cpu --recipes digits-mlp xor   # the same path on the CPU

The tests run the second form; a GPU is never needed for them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

# recipes without shipped data here (cifar10-cnn, image-folder) are skipped; the rest train one epoch
SETTINGS: dict[str, list[str]] = {
    "mnist-cnn": [],
    "digits-mlp": [],
    "xor": [],
    "detect-digits": [],
    "imdb-lstm": ["--set", "train_limit=4000"],
    "imdb-lstm-attention": ["--set", "train_limit=4000"],
    "imdb-transformer": ["--set", "train_limit=4000"],
    "imdb-minilm": ["--set", "train_limit=2000"],
    "reviews-zh": ["--set", "train_limit=4000"],
    "series-lstm": [],
    "stock-lstm": [],
    "speech-ctc": [],
    "multimodal": [],
}
MIXED = {"mnist-cnn", "detect-digits", "imdb-lstm", "imdb-lstm-attention", "imdb-transformer", "imdb-minilm",
         "reviews-zh", "speech-ctc", "multimodal"}


def check(recipe: str, device: str, out: Path) -> dict[str, Any]:
    """Train ``recipe`` for one epoch on ``device``, load it there and time predictions."""
    from typer.testing import CliRunner

    import shendu
    from shendu.cli import app
    from shendu.serve.inputs import example_input

    args = ["train", recipe, "--epochs", "1", "--out", str(out), "--no-progress", "--set", f"accelerator={device}",
            *SETTINGS.get(recipe, [])]
    if device == "cuda" and recipe in MIXED:
        args += ["--set", "precision=16-mixed"]
    started = time.perf_counter()
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    wall = time.perf_counter() - started
    if result.exit_code != 0:
        error = result.stderr.strip() or repr(result.exception)
        return {"recipe": recipe, "ok": False, "error": " ".join(error.split())[:200]}
    run = max(out.glob(f"{recipe}-*"), key=lambda p: p.stat().st_mtime)
    metrics = json.loads((run / "metrics.json").read_text())
    predictor = shendu.load(run)
    example = example_input(predictor.input_spec.kind, predictor.input_spec)
    predictor.predict([example])  # warm-up
    times = []
    for _ in range(20):
        t = time.perf_counter()
        predictor.predict([example])
        times.append(time.perf_counter() - t)
    times.sort()
    headline = next((k for k in ("test_acc", "test_map_50", "test_cer", "test_rmse") if k in metrics), None)
    return {"recipe": recipe, "ok": True, "wall_seconds": round(wall, 1),
            "examples_per_second": metrics.get("train_examples_per_second"), "metric": headline,
            "value": metrics.get(headline) if headline else None, "predict_p50_ms": round(times[10] * 1000, 2),
            "precision": "16-mixed" if "precision=16-mixed" in args else "32-true"}


def device_name(device: str) -> str:
    import torch

    if device == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--recipes", nargs="*", default=list(SETTINGS))
    parser.add_argument("--out", type=Path, default=None, help="run folders go here (a temporary folder by default)")
    args = parser.parse_args()
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_check: torch sees no CUDA GPU here; run it on a machine with one, or pass --device cpu.")
    unknown = sorted(set(args.recipes) - set(SETTINGS))
    if unknown:
        raise SystemExit(f"gpu_check: unknown or data-less recipes {unknown}; choose from {', '.join(SETTINGS)}.")
    out = args.out or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    rows = []
    for recipe in args.recipes:
        with contextlib.redirect_stderr(io.StringIO()):
            rows.append(check(recipe, args.device, out))
        print(json.dumps(rows[-1]), flush=True)
    print(f"\nDevice: {device_name(args.device)}; torch {torch.__version__}; one epoch per recipe; "
          f"command: `python benchmarks/gpu_check.py --device {args.device}`\n")
    print("| recipe | precision | wall (s) | train examples/s | test metric after 1 epoch | CPU predict p50 (ms) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if not row["ok"]:
            print(f"| {row['recipe']} | — | — | — | failed: {row['error']} | — |")
            continue
        value = "—" if row["value"] is None else f"{row['metric']} {row['value']:.4f}"
        print(f"| {row['recipe']} | {row['precision']} | {row['wall_seconds']} | {row['examples_per_second']} | "
              f"{value} | {row['predict_p50_ms']} |")
    raise SystemExit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()

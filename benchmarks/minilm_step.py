"""Seconds per fine-tuning step of the imdb-minilm classifier on this machine, float32 against
bfloat16 mixed precision.

    python benchmarks/minilm_step.py [--batch-size 32] [--lengths 128 256]

Times AdamW steps (forward, backward, update) of all-MiniLM-L6-v2 + head on random word-piece
ids, median of 4 after a warm-up, in float32 and under ``torch.autocast("cpu", torch.bfloat16)``
(what ``precision="bf16-mixed"`` does; the weights stay float32), next to a float32
inference-only forward: what sizes the recipe's defaults (one epoch over N reviews costs
N / batch_size steps). The ratio is float32 step time over bf16-mixed step time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from shendu.models.pretrained import encoder_classifier, pretrained_encoder_state


def step_seconds(model: torch.nn.Module, ids: torch.Tensor, labels: torch.Tensor, bf16: bool) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    steps = []
    for _ in range(5):
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(model(ids), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        steps.append(time.perf_counter() - started)
    return statistics.median(steps[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 256])
    args = parser.parse_args()
    model = encoder_classifier()
    model.load_state_dict(pretrained_encoder_state("all-minilm-l6-v2", model), strict=False)
    print(f"torch threads: {torch.get_num_threads()}, batch size {args.batch_size}")
    print("| word pieces per review | float32 step (s) | bf16-mixed step (s) | speed-up | forward only, float32 (s) "
          "| reviews/s training, bf16-mixed |")
    print("|---|---|---|---|---|---|")
    for length in args.lengths:
        ids = torch.randint(1000, 20000, (args.batch_size, length))
        labels = torch.randint(0, 2, (args.batch_size,))
        full = step_seconds(model, ids, labels, bf16=False)
        mixed = step_seconds(model, ids, labels, bf16=True)
        model.eval()
        with torch.no_grad():
            started = time.perf_counter()
            model(ids)
            forward = time.perf_counter() - started
        model.train()
        print(f"| {length} | {full:.2f} | {mixed:.2f} | {full / mixed:.2f}x | {forward:.2f} | "
              f"{args.batch_size / mixed:.1f} |")


if __name__ == "__main__":
    main()

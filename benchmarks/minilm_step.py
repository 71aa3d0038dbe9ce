"""Seconds per fine-tuning step of the imdb-minilm classifier on this machine.

    python benchmarks/minilm_step.py [--batch-size 32] [--lengths 128 256]

Times AdamW steps (forward, backward, update) of all-MiniLM-L6-v2 + head on random word-piece
ids, median of 3 after a warm-up, next to an inference-only forward: what sizes the recipe's
defaults (one epoch over N reviews costs N / batch_size steps).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from shendu.models.pretrained import encoder_classifier, pretrained_encoder_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 256])
    args = parser.parse_args()
    model = encoder_classifier()
    model.load_state_dict(pretrained_encoder_state("all-minilm-l6-v2", model), strict=False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    print(f"torch threads: {torch.get_num_threads()}, batch size {args.batch_size}")
    print("| word pieces per review | train step (s) | forward only (s) | reviews/s training |")
    print("|---|---|---|---|")
    for length in args.lengths:
        ids = torch.randint(1000, 20000, (args.batch_size, length))
        labels = torch.randint(0, 2, (args.batch_size,))
        steps = []
        for _ in range(4):
            started = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(model(ids), labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            steps.append(time.perf_counter() - started)
        model.eval()
        with torch.no_grad():
            started = time.perf_counter()
            model(ids)
            forward = time.perf_counter() - started
        model.train()
        step = statistics.median(steps[1:])
        print(f"| {length} | {step:.2f} | {forward:.2f} | {args.batch_size / step:.1f} |")


if __name__ == "__main__":
    main()

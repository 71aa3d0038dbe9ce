"""Each member of an ensemble run (reviews-zh's ``ngram-cnn``) scored alone on the run's test split,
beside the ensemble: how much the geometric mean adds to its best member.

    python benchmarks/ensemble_members.py RUN...

Every run is read with ``shendu.load``; its test split is rebuilt from model.json the way
`shendu evaluate` does. Prints one table row per run.
"""

from __future__ import annotations

import sys

import torch
from rich.console import Console
from rich.table import Table
from torch.utils.data import DataLoader


def member_log_probabilities(run: str) -> tuple[list[str], torch.Tensor, torch.Tensor]:
    """The member names, their log-probabilities on the test split ``(N, M, C)`` and the labels."""
    import shendu

    predictor = shendu.load(run)
    model = predictor.model.eval()
    if not hasattr(model, "member_logits"):
        raise SystemExit(f"{run}: its model ({type(model).__name__}) is not an ensemble with member_logits")
    test = predictor.spec.test_data.build(predictor.spec.input, predictor.run.path)
    outputs, labels = [], []
    with torch.no_grad():
        for ids, targets in DataLoader(test, batch_size=256, collate_fn=getattr(test, "collate_fn", None)):
            outputs.append(torch.log_softmax(model.member_logits(ids), dim=-1))
            labels.append(targets)
    return list(model.members), torch.cat(outputs), torch.cat(labels)


def main() -> None:
    runs = sys.argv[1:]
    if not runs:
        raise SystemExit(__doc__)
    table = Table(title="test accuracy of each member alone and of the ensemble (geometric mean)")
    names: list[str] = []
    rows = []
    for run in runs:
        names, log_probabilities, labels = member_log_probabilities(run)
        alone = [(log_probabilities[:, k].argmax(-1) == labels).float().mean().item() for k in range(len(names))]
        together = (log_probabilities.mean(dim=1).argmax(-1) == labels).float().mean().item()
        rows.append((run, alone, together))
    for column in ("run", *names, "ensemble", "ensemble - best member"):
        table.add_column(column)
    for run, alone, together in rows:
        table.add_row(run, *(f"{a * 100:.2f}%" for a in alone), f"{together * 100:.2f}%",
                      f"{(together - max(alone)) * 100:+.2f} points")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()

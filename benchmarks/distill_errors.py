"""Which test examples a distilled student gets wrong, against its teacher's and its baseline's.

For each `shendu distill` output folder (the distilled run and its baseline, side by side), the
table counts the test examples each model misclassifies and how many of them the teacher
misclassifies too; a last table scores the teachers' ensemble (mean of their logits) when
several teachers are given. Every model reads the same test split, rebuilt from model.json the
way `shendu evaluate` does.

    python benchmarks/distill_errors.py --teacher RUN [--teacher RUN ...] DISTILL_OUT...

DISTILL_OUT is the ``--out`` folder of one `shendu distill` command (it holds a
``*-distilled-*`` and a ``*-baseline-*`` run folder). The first teacher is the one the
students learned from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table


def test_logits(run: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's logits on its test split and the labels: ``(N, C)``, ``(N,)``."""
    from torch.utils.data import DataLoader

    import shendu

    predictor = shendu.load(run)
    test = predictor.spec.test_data.build(predictor.spec.input, predictor.run.path)
    model = predictor.model.eval()
    outputs, labels = [], []
    with torch.no_grad():
        for inputs, targets in DataLoader(test, batch_size=256):
            outputs.append(model(inputs).float())
            labels.append(torch.as_tensor(targets))
    return torch.cat(outputs), torch.cat(labels)


def wrong(logits: torch.Tensor, labels: torch.Tensor) -> set[int]:
    return set((logits.argmax(dim=1) != labels).nonzero().flatten().tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", type=Path, action="append", required=True)
    parser.add_argument("outs", type=Path, nargs="+", help="`shendu distill --out` folders")
    args = parser.parse_args()
    console = Console(width=150)  # the run names stay whole when printed to a file

    teachers = [test_logits(run) for run in args.teacher]
    labels = teachers[0][1]
    if any(not torch.equal(t[1], labels) for t in teachers):
        raise SystemExit("the teachers were tested on different test splits")
    teacher_wrong = wrong(teachers[0][0], labels)
    console.print(f"teacher {args.teacher[0]}: {len(teacher_wrong)} of {len(labels)} test examples wrong")

    table = Table(title="test errors: distilled student, the same student alone, and the teacher's errors among them")
    for column in ("distill output", "alone: wrong", "alone: also teacher's", "distilled: wrong",
                   "distilled: also teacher's", "distilled: wrong, not alone's or teacher's"):
        table.add_column(column)
    shared = {"alone": 0, "distilled": 0}
    pairs = 0
    for out in args.outs:
        distilled = sorted(out.glob("*-distilled-*"))
        baseline = sorted(out.glob("*-baseline-*"))
        if len(distilled) != 1 or len(baseline) != 1:
            console.print(f"[yellow]skipped {out}: it needs one *-distilled-* and one *-baseline-* run folder[/]")
            continue
        student_logits, student_labels = test_logits(distilled[0])
        alone_logits, alone_labels = test_logits(baseline[0])
        if not (torch.equal(student_labels, labels) and torch.equal(alone_labels, labels)):
            console.print(f"[yellow]skipped {out}: its test split is not the teacher's[/]")
            continue
        student, alone = wrong(student_logits, labels), wrong(alone_logits, labels)
        shared["alone"] += len(alone & teacher_wrong)
        shared["distilled"] += len(student & teacher_wrong)
        pairs += 1
        table.add_row(out.name, str(len(alone)), str(len(alone & teacher_wrong)), str(len(student)),
                      str(len(student & teacher_wrong)), str(len(student - alone - teacher_wrong)))
    console.print(table)
    if pairs:
        console.print(f"mean over {pairs} pairs: of the teacher's {len(teacher_wrong)} wrong test examples, the "
                      f"student alone gets {shared['alone'] / pairs:.1f} wrong too, the distilled student "
                      f"{shared['distilled'] / pairs:.1f}")

    if len(teachers) > 1:
        ensemble = Table(title="teachers and their ensemble (mean of logits), test accuracy")
        ensemble.add_column("model")
        ensemble.add_column("test accuracy")
        ensemble.add_column("wrong")
        for run, (logits, _) in zip(args.teacher, teachers, strict=True):
            ensemble.add_row(str(run), f"{(logits.argmax(1) == labels).float().mean().item() * 100:.2f}%",
                             str(len(wrong(logits, labels))))
        mean = torch.stack([logits for logits, _ in teachers]).mean(dim=0)
        ensemble.add_row(f"ensemble of {len(teachers)}", f"{(mean.argmax(1) == labels).float().mean().item() * 100:.2f}%",
                         str(len(wrong(mean, labels))))
        console.print(ensemble)


if __name__ == "__main__":
    main()

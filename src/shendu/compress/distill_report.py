"""What a distilled run's report says: the teacher, T and alpha, the teacher's, the student's and
the baseline's test accuracy, the parameter ratio, and one computed sentence on which wins."""

from __future__ import annotations

from typing import Any

# accuracies are counts over the same test split: equal up to float rounding means equal
_SAME = 1e-9


def distillation_verdict(teacher_acc: float, student_acc: float, baseline_acc: float | None, test_samples: int,
                         baseline_command: str = "") -> str:
    """One sentence: how far the distilled student is from the teacher (within the issue's 1
    point or not) and whether it beats the same student trained without the teacher."""
    gap = (teacher_acc - student_acc) * 100
    side = "below" if gap > _SAME else "above" if gap < -_SAME else "level with"
    distance = "" if side == "level with" else f"{abs(gap):.2f} points "
    within = "within" if gap <= 1 + _SAME else "more than"
    sentence = (f"The distilled student reaches {student_acc * 100:.2f}% test accuracy, {distance}{side} the "
                f"teacher's {teacher_acc * 100:.2f}% ({within} 1 point)")
    if baseline_acc is None:
        return (sentence + "; no baseline was trained (--no-baseline): "
                + (f"`{baseline_command}` trains the same student without the teacher." if baseline_command else
                   "train the same student without the teacher to compare."))
    lead = (student_acc - baseline_acc) * 100
    one = 100 / max(test_samples, 1)
    if lead > _SAME:
        verdict = (f"; it beats the same student trained without the teacher ({baseline_acc * 100:.2f}%) by "
                   f"{lead:.2f} points: distillation wins")
    elif lead < -_SAME:
        verdict = (f"; the same student trained without the teacher does better ({baseline_acc * 100:.2f}%, "
                   f"{-lead:.2f} points higher): the teacher did not help here")
    else:
        verdict = (f"; the same student trained without the teacher scores the same ({baseline_acc * 100:.2f}%): "
                   "the teacher made no difference on this test split")
    return f"{sentence}{verdict} (one test example is {one:.2f} points)."


def student_notes(details: dict[str, Any], teacher: str, examples: int) -> list[str]:
    """Report notes of the distilled run: the loss, where its targets came from, what the losses in
    the epoch table measure."""
    augmented = details["augment"]
    return [
        f"Distilled from `{teacher}` ({details['teacher_recipe']}) with the documents' DistillationLoss("
        f"temperature={details['temperature']:g}, alpha={details['alpha']:g}): alpha * KL(softmax(teacher/T) || "
        "softmax(student/T)) * T^2 + (1 - alpha) * cross_entropy(student, labels), the KL divergence averaged "
        "over the batch (KLDivLoss(reduction='batchmean'))"
        + (f"; the cross-entropy smooths the labels by {details['label_smoothing']:g}, as the student's recipe "
           "(and its baseline) does." if details.get("label_smoothing") else "."),
        *(["The teacher read every training batch as the student saw it, augmentation included, and its logits "
           "were the soft targets of that batch (`--teacher-logits live`: consistent teaching, Beyer et al. 2022)."]
          if details.get("teacher_logits_mode") == "live" else [
            f"The teacher's logits on the {examples:,} training examples were computed once, with the teacher's own "
            f"preprocessing and no augmentation ({details['teacher_logits']}), and are kept in "
            "teacher_logits.safetensors.",
            ("The student's training images are augmented (the recipe's `augment` setting, as for the baseline): each "
             "augmented image learns from the teacher's probabilities for the clean image it came from, as it learns "
             "its label (`--teacher-logits live` teaches each augmented image instead). `--set augment=false` trains "
             "on exactly the inputs the teacher read." if augmented else
             "The student trains on exactly the inputs the teacher read (no augmentation).")]),
        "In the epoch table, train loss is the distillation loss; val loss is the student's own task loss "
        "(cross-entropy" + (f" with label smoothing {details['label_smoothing']:g}" if details.get("label_smoothing")
                            else "") + "), the same measure its baseline logs.",
    ]


def distillation_section(details: dict[str, Any], teacher: str, metrics: dict[str, Any], recipe: str,
                         changed: dict[str, Any]) -> str:
    """The report's "Distillation" section: teacher, distilled student and baseline side by side."""
    teacher_acc = float(details["teacher_test_metric"]["test_acc"])
    baseline = details.get("baseline_test_metric")
    baseline_acc = None if baseline is None else float(baseline["test_acc"])
    teacher_parameters, student_parameters = details["teacher_parameters"], details["student_parameters"]
    ratio = teacher_parameters / max(student_parameters, 1)
    command = " ".join(["shendu train", recipe, *(f"--set {k}={v}" for k, v in changed.items())])
    lines = [
        "## Distillation", "",
        f"Teacher `{teacher}` ({details['teacher_recipe']}); temperature T = {details['temperature']:g}, "
        f"alpha = {details['alpha']:g} (the weight of the teacher's term). The student has "
        f"{student_parameters:,} parameters, 1/{ratio:.1f} of the teacher's {teacher_parameters:,}.", "",
        "| model | parameters | test accuracy | run |", "|---|---|---|---|",
        f"| teacher | {teacher_parameters:,} | {teacher_acc * 100:.2f}% | `{teacher}` |",
        f"| distilled student | {student_parameters:,} | {metrics['test_acc'] * 100:.2f}% | this run |",
    ]
    if baseline_acc is not None:
        lines.append(f"| same student without the teacher | {student_parameters:,} | {baseline_acc * 100:.2f}% | "
                     f"`{details['baseline']}` (`{command}`) |")
    lines += ["", distillation_verdict(teacher_acc, float(metrics["test_acc"]), baseline_acc,
                                       int(metrics.get("test_samples", 0)), command), ""]
    return "\n".join(lines)

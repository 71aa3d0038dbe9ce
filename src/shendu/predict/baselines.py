"""A classifier's baselines in its run folder: the majority class and a cheap linear model,
scored on the model's own test split (training fits them: :mod:`shendu.train.baselines`).

``baselines.json`` keeps what the report and ``shendu evaluate`` need, never a fitted model::

    {"task": "classification", "test_sha256": "...", "test_examples": 1000,
     "majority": {"class": 1, "label": "1", "train_count": 397, "train_examples": 3500},
     "linear": {"name": "logistic regression on pixels", "C": 0.01, ..., "test_predictions": [7, 2, ...]}}

``linear`` is ``null`` with a ``why`` when no linear baseline fits the inputs. ``shendu evaluate``
refits nothing: it checks that the rebuilt test split has the SHA-256 the baselines were scored
on, then re-scores the stored majority class and test predictions against its labels
(:func:`rescore_baselines`), so a run folder reproduces its baseline figures exactly. The
forecasters keep their SARIMA forecasts in a file of the same name
(:mod:`shendu.data.series`); a file without ``"task": "classification"`` is left alone here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shendu.data.series import BASELINES_FILE
from shendu.errors import RunFolderError
from shendu.runfolder import RunFolder

log = logging.getLogger(__name__)

TASK = "classification"
MAJORITY_NAME = "the majority class"


def accuracy(predictions: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray) -> float:
    """Share of ``predictions`` equal to ``targets`` (right answers / examples, in float64)."""
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    if predictions.shape != targets.shape:
        raise ValueError(f"predictions and targets differ in shape: {predictions.shape} != {targets.shape}")
    return int((predictions == targets).sum()) / max(len(targets), 1)


def baseline_metrics(document: dict[str, Any], targets: Sequence[int]) -> dict[str, Any]:
    """metrics.json's baseline entries, scored from a baselines.json ``document`` on ``targets``
    (the test labels, in the test split's order)::

        test_majority_acc, test_majority_class, test_baseline_acc, test_baseline_model
    """
    majority = document["majority"]
    out: dict[str, Any] = {"test_majority_acc": accuracy(np.full(len(targets), majority["class"]), targets),
                           "test_majority_class": majority["label"]}
    linear = document.get("linear")
    if linear is not None:
        out["test_baseline_acc"] = accuracy(linear["test_predictions"], targets)
        out["test_baseline_model"] = linear["name"]
    return out


def _verb(difference: float, examples: int) -> str:
    # accuracies differ by whole examples: under half an example apart is the same score
    # (the model's figure comes from torchmetrics in float32, the baselines' in float64)
    if abs(difference) * max(examples, 1) < 0.5:
        return "ties with"
    return "beats" if difference > 0 else "loses to"


def _points(difference: float) -> str:
    text = f"{abs(difference) * 100:.2f}"
    return text if text != "0.00" else f"{abs(difference) * 100:.2g}"


def baseline_sentence(metrics: dict[str, Any]) -> str | None:
    """One sentence, computed from the test accuracies in ``metrics``: whether the model beats
    its baselines, e.g. "The model (98.40%) beats logistic regression on pixels (89.80%) by 8.60
    points and the majority class (11.30%)." ``None`` when ``metrics`` holds no baseline."""
    if "test_majority_acc" not in metrics or "test_acc" not in metrics:
        return None
    model, examples = float(metrics["test_acc"]), int(metrics.get("test_samples") or 0)
    baselines = [(MAJORITY_NAME, float(metrics["test_majority_acc"]))]
    if "test_baseline_acc" in metrics:
        baselines.insert(0, (str(metrics["test_baseline_model"]), float(metrics["test_baseline_acc"])))
    clauses, previous = [], None
    for index, (name, value) in enumerate(baselines):
        verb = _verb(model - value, examples)
        margin = f" by {_points(model - value)} points" if index == 0 and verb != "ties with" else ""
        if previous is None:
            clauses.append(f"{verb} {name} ({value * 100:.2f}%){margin}")
        elif verb == previous:
            clauses.append(f"and {'to ' if verb == 'loses to' else 'with ' if verb == 'ties with' else ''}"
                           f"{name} ({value * 100:.2f}%)")
        else:
            clauses.append(f"{'but' if 'loses to' in (verb, previous) else 'and'} {verb} {name} ({value * 100:.2f}%)")
        previous = verb
    return f"The model ({model * 100:.2f}%) " + " ".join(clauses) + "."


def baseline_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's rows: each baseline's test accuracy beside the model's, then the sentence."""
    sentence = baseline_sentence(metrics)
    if sentence is None:
        return []
    rows = []
    if "test_baseline_acc" in metrics:
        value = float(metrics["test_baseline_acc"])
        rows.append((f"baseline: {metrics['test_baseline_model']}", f"{value:.4f} ({value * 100:.2f}%)"))
    majority = float(metrics["test_majority_acc"])
    rows.append((f"baseline: majority class (always {metrics['test_majority_class']!r})",
                 f"{majority:.4f} ({majority * 100:.2f}%)"))
    return [*rows, ("model vs baselines", sentence)]


def read_baselines(run_dir: Path | str) -> dict[str, Any] | None:
    """A classifier's baselines.json, or ``None`` when the run has none (or a forecaster's).

    Raises:
        RunFolderError: a file that is not a classifier's baselines as training wrote them.
    """
    folder = RunFolder(Path(run_dir))
    if not folder.file(BASELINES_FILE).is_file():
        return None
    document = folder.read_json(BASELINES_FILE)
    if document.get("task") != TASK:
        return None
    majority, linear = document.get("majority"), document.get("linear")
    valid = (isinstance(majority, dict) and isinstance(majority.get("class"), int) and "label" in majority
             and isinstance(document.get("test_sha256"), str)
             and (linear is None or (isinstance(linear, dict) and isinstance(linear.get("name"), str)
                                     and isinstance(linear.get("test_predictions"), list)
                                     and all(type(p) is int for p in linear["test_predictions"]))))
    if not valid:
        raise RunFolderError(f"{folder.file(BASELINES_FILE)} must hold the baselines `shendu train` wrote (a "
                             "majority class, test predictions and the test split's SHA-256). Restore it from the "
                             "run, or train again.")
    return document


def rescore_baselines(run_dir: Path | str, targets: Sequence[int] | None, test_sha256: str) -> dict[str, Any]:
    """For ``shendu evaluate``: the baselines' metrics re-scored on the rebuilt test split, whose
    labels are ``targets`` and checksum ``test_sha256``; nothing is refitted. Empty when the run
    has no classifier baselines, or when the test split is not the one they were scored on (a
    warning says so: their predictions are for other examples)."""
    document = read_baselines(run_dir)
    if document is None or targets is None:
        return {}
    linear = document.get("linear")
    if document["test_sha256"] != test_sha256 or (linear is not None and len(linear["test_predictions"]) != len(targets)):
        log.warning("%s was scored on a test split with SHA-256 %s..., and the rebuilt one is %s...; the data "
                    "changed since training, so the baselines are left out", Path(run_dir) / BASELINES_FILE,
                    document["test_sha256"][:12], test_sha256[:12])
        return {}
    return baseline_metrics(document, targets)

"""The teacher's side of `shendu distill`: which run may teach which student, what the teacher
reads, and its logits on the student's training split, cached in the student's run folder.

What the teacher reads is the student's own training examples, read the teacher's way:

- images and vectors: the student's training tensors themselves, which is the teacher's
  preprocessing only when both runs' input specs (model.json ``input``: size, channels,
  normalisation) are equal; otherwise the student is refused with both specs in the message;
- texts: the raw training reviews, tokenised with the teacher's own tokenizer
  (``tokenizer.json`` of the teacher's run, its ``max_length``, special tokens and truncation),
  since a text student trains a tokenizer of its own.

Augmentation: the teacher reads each training example without augmentation (the recipe built
again with ``augment=False``), once. See :mod:`shendu.compress.distill` for why the student may
still train on augmented images.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from shendu.data.specs import InputSpec, TextSpec
from shendu.errors import RunFolderError, ShenduError
from shendu.predict.predictor import Predictor
from shendu.runfolder import CONFIG, METRICS, MODEL, RunFolder, atomic_write_bytes

log = logging.getLogger(__name__)

TEACHER_LOGITS = "teacher_logits.safetensors"
LOGITS_FORMAT = "shendu-teacher-logits"


def open_teacher(run: Path | str) -> Predictor:
    """A complete classifier run folder, loaded (its metrics.json holds the accuracy the student
    is compared with)."""
    from shendu.predict import load

    folder = RunFolder.open(run, require=(CONFIG, MODEL))
    if not folder.file(METRICS).is_file():
        raise RunFolderError(f"TEACHER_RUN {folder.path} is not complete (no metrics.json): finish it first with "
                             f"`shendu train --resume {folder.path}`, then distill from it.")
    teacher = load(folder.path)
    if not teacher.task.endswith("-classification") or teacher.task == "multimodal-classification":
        raise ShenduError(f"TEACHER_RUN must be a classifier of images, vectors or texts; {folder.path} is a "
                          f"{teacher.task} run. Distill from a run of mnist-cnn, digits-mlp, imdb-minilm...")
    if "test_acc" not in folder.read_json(METRICS):
        raise RunFolderError(f"{folder.file(METRICS)} has no test_acc; train the teacher again with this shendu.")
    return teacher


def describe_spec(spec: InputSpec) -> str:
    """``image 1x28x28, mean (0.1307,), std (0.3081,), invert auto`` (what a model reads)."""
    values = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name not in ("kind", "schema_version")}
    if {"channels", "height", "width"} <= set(values):  # any spec with a picture's shape
        size = f"{values.pop('channels')}x{values.pop('height')}x{values.pop('width')}"
        return f"{spec.kind} {size}, " + ", ".join(f"{k} {v}" for k, v in values.items())
    return f"{spec.kind} " + ", ".join(f"{k} {v}" for k, v in values.items())


def compatibility_problem(teacher_spec: InputSpec, teacher_labels: list[str], student_spec: InputSpec,
                          student_labels: list[str]) -> str | None:
    """Why a teacher cannot teach a student (``None`` when it can): different classes, or
    inputs the teacher cannot read the student's way (texts of both are re-tokenised)."""
    if list(teacher_labels) != list(student_labels):
        return (f"the teacher's classes are {', '.join(teacher_labels)} and the student's are "
                f"{', '.join(student_labels)}; they must be the same, in the same order")
    if isinstance(teacher_spec, TextSpec) and isinstance(student_spec, TextSpec):
        return None
    if teacher_spec != student_spec:
        return (f"the teacher reads {describe_spec(teacher_spec)} and the student reads "
                f"{describe_spec(student_spec)}; the teacher can read the student's training examples only "
                "when both read the same inputs (same size, channels and normalisation)")
    return None


def labels_of(dataset: Dataset) -> torch.Tensor:
    """The class ids of ``dataset`` in order (its ``labels`` tensor, or read example by example)."""
    labels = getattr(dataset, "labels", None)
    if isinstance(labels, torch.Tensor):
        return labels.long()
    return torch.as_tensor([int(dataset[i][1]) for i in range(len(dataset))], dtype=torch.long)  # type: ignore[arg-type]


def unaugmented_train(recipe: Any, config: Any, train: Dataset) -> Dataset:
    """The training split of ``recipe`` without augmentation (the recipe built again with
    ``augment=False`` when it augments), example for example the same as ``train``."""
    if not getattr(config, "augment", False):
        return train
    clean = recipe.make_task(replace(config, augment=False)).data.train
    if not torch.equal(labels_of(clean), labels_of(train)):
        raise ShenduError(f"recipe {recipe.name} gives a different training split without augmentation; "
                          "distill with --set augment=false.")
    return clean


def teacher_inputs(teacher: Predictor, clean_train: Dataset) -> Dataset:
    """``clean_train`` as the teacher reads it: the same dataset (equal input specs), or for
    texts its raw texts tokenised with the teacher's tokenizer."""
    spec = teacher.spec.input
    if not isinstance(spec, TextSpec):
        return clean_train
    from shendu.data.tokenize import TokenizedTextDataset, encode

    texts = getattr(clean_train, "texts", None)
    if texts is None:
        raise ShenduError("the student's training split does not keep its raw texts, which a text teacher must "
                          "tokenise with its own tokenizer; use a student recipe built on shendu.data.text.")
    ids = encode(teacher.state, texts, spec.max_length, spec.special_tokens, spec.head)
    return TokenizedTextDataset(ids, labels_of(clean_train).numpy())


def logits_metadata(teacher: Predictor, labels: torch.Tensor) -> dict[str, str]:
    """What the cached logits must have been made from: the teacher's weights and the labels
    of the examples, in order."""
    digest = hashlib.sha256(labels.to(torch.int64).numpy().tobytes()).hexdigest()
    return {"format": LOGITS_FORMAT, "teacher_weights_sha256": teacher.spec.weights_sha256,
            "examples": str(len(labels)), "labels_sha256": digest}


def read_cached_logits(folder: RunFolder, expected: dict[str, str]) -> torch.Tensor | None:
    """The logits cached in ``folder`` if they were made by the same teacher for the same
    examples; ``None`` (compute them again) otherwise."""
    from safetensors import SafetensorError, safe_open

    path = folder.file(TEACHER_LOGITS)
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as f:
            found, logits = f.metadata() or {}, f.get_tensor("logits")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        log.warning("%s could not be read (%s); the teacher's logits are computed again", path, exc)
        return None
    if found != expected or len(logits) != int(expected["examples"]):
        changed = sorted(k for k in expected if found.get(k) != expected[k])
        log.warning("%s was made for another teacher or other examples (%s differ); computed again",
                    path, ", ".join(changed) or "shape")
        return None
    return logits


def write_cached_logits(folder: RunFolder, logits: torch.Tensor, metadata: dict[str, str]) -> None:
    from safetensors.torch import save

    atomic_write_bytes(folder.file(TEACHER_LOGITS), save({"logits": logits.contiguous()}, metadata=metadata))

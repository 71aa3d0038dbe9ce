"""`shendu distill TEACHER_RUN --student RECIPE`: train a small student recipe against a trained
teacher's soft targets, beside the same student trained without the teacher.

The student is an ordinary recipe run (`shendu train RECIPE --set ...`: the same data, splits,
settings and seed) whose loss is the documents' ``DistillationLoss(temperature=4.0, alpha=0.7)``
(:class:`shendu.train.distill.DistillationLoss`, Hinton et al. 2015). Its run folder is an
ordinary run folder (`shendu.load`, `evaluate`, `predict`, `compress` take it) whose model.json
``variant`` names the teacher, plus:

- ``teacher_logits.safetensors``: the teacher's logits on every training example, computed once
  before training with the teacher's own preprocessing (:mod:`shendu.compress.teacher`), with
  the teacher's weights SHA-256 in its metadata; `shendu distill --resume RUN` reuses them;
- ``distill.json``: the teacher, the temperature, alpha and the baseline run, for ``--resume``.

The baseline (house rule: a baseline beside the model) is the same student trained without the
teacher, by the same training code, into its own run folder ``<recipe>-baseline-<time>``; the
student's report says which of the two is better on the same test split.

Where the teacher's logits come from (``--teacher-logits``):

- ``cached`` (the default): the teacher reads each training example once, without augmentation,
  before training, and the student keeps the recipe's own augmentation setting. An augmented
  student image then learns from the teacher's probabilities for the clean image it was drawn
  from, as it learns the clean image's label. Training never runs the teacher.
- ``live``: the teacher reads every training batch, on exactly the augmented images the student
  sees (:class:`~shendu.train.distill.LiveTeacherDataset`): "consistent teaching", which Beyer et
  al. (*Knowledge distillation: A good teacher is patient and consistent*, CVPR 2022) found to
  matter most for image students. It costs a teacher forward pass per batch. Images and vectors
  only: a text teacher reads its own tokens.

The baseline trains with the same augmentation and seed (the teacher's forward pass draws no
random numbers), so the comparison stays fair either way, and ``--set augment=false`` trains on
exactly the inputs the teacher read (the report says which was done). The figures are in
benchmarks/RESULTS.md ("Distillation").
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from shendu.compress.teacher import (
    TEACHER_LOGITS,
    compatibility_problem,
    labels_of,
    logits_metadata,
    open_teacher,
    read_cached_logits,
    teacher_inputs,
    unaugmented_train,
    write_cached_logits,
)
from shendu.errors import RunFolderError, ShenduError, TrainingInterrupted
from shendu.predict.predictor import Predictor, read_run_config
from shendu.predict.variant import Variant
from shendu.runfolder import CONFIG, METRICS, REPORT, RunFolder
from shendu.train.target import Target
from shendu.typed import from_json

log = logging.getLogger(__name__)

DISTILL = "distill.json"
LAST_CHECKPOINT = "last.ckpt"


@dataclass(frozen=True)
class DistillSettings:
    """distill.json: what `shendu distill --resume RUN` needs besides config.json.

    Args:
        teacher: the teacher's run folder (absolute path); ``teacher_weights_sha256`` its weights.
        student: the student's recipe.
        temperature, alpha: the :class:`~shendu.train.distill.DistillationLoss` settings.
        baseline: the run folder of the same student trained without the teacher (absolute
            path), ``None`` with ``--no-baseline``.
        teacher_logits: ``cached`` (computed once on the clean training examples) or ``live``
            (computed on every training batch, augmentation included).
    """

    teacher: str
    teacher_weights_sha256: str
    student: str
    temperature: float
    alpha: float
    baseline: str | None = None
    teacher_logits: str = "cached"


TEACHER_LOGITS_MODES = ("cached", "live")


def check_loss_settings(temperature: float, alpha: float, teacher_logits: str = "cached") -> None:
    """Raise ShenduError for a temperature that is not positive, an alpha outside [0, 1] or an
    unknown ``--teacher-logits``."""
    if teacher_logits not in TEACHER_LOGITS_MODES:
        raise ShenduError(f"--teacher-logits must be one of {', '.join(TEACHER_LOGITS_MODES)} (cached: computed once "
                          f"before training; live: on every training batch); got {teacher_logits!r}.")
    if not temperature > 0:
        raise ShenduError(f"--temperature must be a positive number (the documents use 4); got {temperature}.")
    if not 0 <= alpha <= 1:
        raise ShenduError(f"--alpha must be in [0, 1], the weight of the teacher's term (the documents use 0.7; "
                          f"0 trains on the labels alone, 1 on the teacher alone); got {alpha}.")


def distill_run(teacher: Path | str, student_recipe: str, sets: list[str] | None = None, temperature: float = 4.0,
                alpha: float = 0.7, out: Path = Path("runs"), progress: bool = True,
                baseline: bool = True, teacher_logits: str = "cached") -> tuple[RunFolder, dict[str, Any]]:
    """Distill ``teacher`` into a new run of ``student_recipe`` (``sets``: ``KEY=VALUE`` settings)
    under ``out``, after training the same student without the teacher (``baseline``).

    Every check comes before anything is written: the teacher is a complete classifier run, the
    recipe exists and trains a classifier with the torch engine, both have the same classes and
    the teacher can read the student's inputs, ``temperature > 0`` and ``0 <= alpha <= 1``, and a
    ``live`` teacher reads images or vectors.

    Returns:
        The student's run folder and its metrics (metrics.json).

    Raises:
        ShenduError: any of the checks above.
    """
    check_loss_settings(temperature, alpha, teacher_logits)
    predictor = open_teacher(teacher)
    recipe, config, task = _student(student_recipe, sets or [], None, progress)
    _check_live(predictor, teacher_logits)
    inputs = _teacher_inputs(predictor, recipe, config, task)
    started = time.perf_counter()
    logits = _teacher_logits(predictor, inputs, task)  # live too: one pass that checks the teacher's view
    seconds = time.perf_counter() - started  # of the training split has its labels
    # every check passed: from here on, run folders are written
    run = RunFolder.create(out, f"{recipe.name}-distilled")
    baseline_run = RunFolder.create(out, f"{recipe.name}-baseline") if baseline else None
    settings = DistillSettings(str(predictor.run.path.resolve()), predictor.spec.weights_sha256, recipe.name,
                               float(temperature), float(alpha),
                               None if baseline_run is None else str(baseline_run.path.resolve()), teacher_logits)
    run.write_json(CONFIG, task.recipe_config)
    run.write_json(DISTILL, asdict(settings))
    write_cached_logits(run, logits, logits_metadata(predictor, labels_of(inputs)))
    return _train(run, baseline_run, predictor, str(teacher), recipe, config, task, logits, settings,
                  f"computed in {seconds:.1f} s")


def resume_distillation(run: Path | str, progress: bool = True) -> tuple[RunFolder, dict[str, Any]]:
    """Finish an interrupted `shendu distill` run: the teacher's logits come from the run's
    ``teacher_logits.safetensors`` (computed again only if missing or made by another teacher),
    the baseline and the student continue from their last checkpoints."""
    folder = RunFolder.open(run, require=(CONFIG, DISTILL))
    if folder.is_complete:
        raise ShenduError(f"{folder.path} is already complete (it has model.safetensors and metrics.json); there is "
                          "nothing to resume. Distill again instead.")
    settings = from_json(DistillSettings, folder.read_json(DISTILL), str(folder.file(DISTILL)), RunFolderError)
    check_loss_settings(settings.temperature, settings.alpha, settings.teacher_logits)
    predictor = open_teacher(settings.teacher)
    if predictor.spec.weights_sha256 != settings.teacher_weights_sha256:
        raise RunFolderError(f"the teacher {settings.teacher} has other weights than when {folder.path} started "
                             f"(SHA-256 {predictor.spec.weights_sha256[:16]}…, distill.json records "
                             f"{settings.teacher_weights_sha256[:16]}…). Distill again from the teacher as it is now.")
    saved = read_run_config(folder)
    if saved.recipe != settings.student:
        raise RunFolderError(f"{folder.file(CONFIG)} names recipe {saved.recipe!r} but distill.json {settings.student!r}; "
                             "restore the files or distill again.")
    recipe, config, task = _student(settings.student, [], saved.config, progress)
    inputs = _teacher_inputs(predictor, recipe, config, task)
    metadata = logits_metadata(predictor, labels_of(inputs))
    logits = read_cached_logits(folder, metadata)
    how = f"read from {TEACHER_LOGITS}"
    if logits is None:
        started = time.perf_counter()
        logits = _teacher_logits(predictor, inputs, task)
        write_cached_logits(folder, logits, metadata)
        how = f"computed in {time.perf_counter() - started:.1f} s"
    baseline_run = None if settings.baseline is None else RunFolder(Path(settings.baseline))
    return _train(folder, baseline_run, predictor, settings.teacher, recipe, config, task, logits, settings, how)


def _student(name: str, sets: list[str], saved: dict[str, Any] | None, progress: bool) -> tuple[Any, Any, Any]:
    """The student's recipe, resolved settings and task (its data loaded), checked."""
    from shendu.recipes import get_recipe
    from shendu.recipes.options import parse_sets, resolve_settings

    recipe = get_recipe(name)
    values = resolve_settings(recipe.default_config().to_dict(), saved, parse_sets(sets, recipe.config_cls),
                              {"progress": progress})
    try:
        config = recipe.config_from_dict(values)
        config.validate()
    except (TypeError, ValueError) as exc:
        raise ShenduError(str(exc)) from None
    if config.engine != "torch":
        raise ShenduError(f"the student trains with the torch engine (Lightning); got --set engine={config.engine}. "
                          "Leave engine at torch.")
    if config.devices not in ("auto", "1"):
        raise ShenduError(f"shendu distill trains on one device; got --set devices={config.devices}. Leave devices "
                          "at auto.")
    config = replace(config, devices="1")  # "auto" would start one process per GPU, each running the command again
    task = recipe.make_task(config)
    if task.kind != "classification":
        raise ShenduError(f"--student must be a classifier recipe (mnist-cnn, digits-mlp, imdb-lstm...); {name} "
                          f"trains a {task.kind} model.")
    return recipe, config, task


def _check_live(teacher: Predictor, teacher_logits: str) -> None:
    from shendu.data.specs import TextSpec

    if teacher_logits == "live" and isinstance(teacher.spec.input, TextSpec):
        raise ShenduError(f"--teacher-logits live runs the teacher on the student's training batches as they are, "
                          f"and {teacher.run.path} ({teacher.config.recipe}) reads texts through its own tokenizer. "
                          "Use --teacher-logits cached for text teachers (texts are not augmented, so it is the same).")


def _teacher_inputs(teacher: Predictor, recipe: Any, config: Any, task: Any) -> Any:
    problem = compatibility_problem(teacher.spec.input, teacher.labels, task.data.input_spec, task.data.labels)
    if problem is not None:
        raise ShenduError(f"{teacher.run.path} ({teacher.config.recipe}) cannot teach --student {recipe.name}: "
                          f"{problem}. Pick a student recipe that reads the teacher's inputs and predicts its classes.")
    return teacher_inputs(teacher, unaugmented_train(recipe, config, task.data.train))


def _teacher_logits(teacher: Predictor, inputs: Any, task: Any) -> torch.Tensor:
    from shendu.train.distill import compute_teacher_logits

    use_cuda = torch.cuda.is_available() and task.config.accelerator in ("auto", "gpu")
    logits, labels = compute_teacher_logits(teacher.model, inputs, device="cuda" if use_cuda else "cpu")
    teacher.model.cpu()
    if not torch.equal(labels, labels_of(task.data.train)):
        raise ShenduError(f"the teacher's view of recipe {task.recipe}'s training split has other labels than the "
                          "split itself; distill with --set augment=false.")
    return logits


def _train(run: RunFolder, baseline_run: RunFolder | None, teacher: Predictor, teacher_name: str, recipe: Any,
           config: Any, task: Any, logits: torch.Tensor, settings: DistillSettings,
           how: str) -> tuple[RunFolder, dict[str, Any]]:
    """Train the baseline (unless done), then the student, then add the comparison to its report."""
    from shendu.compress.distill_report import distillation_section, student_notes
    from shendu.models import build_model, factory_path
    from shendu.train.distill import DistillationLoss, LiveTeacherDataset, TeacherLogitsDataset

    baseline_metrics = None
    if baseline_run is not None:
        note = (f"The baseline of `shendu distill`: the student of {run.path.name}, trained without the teacher "
                "(same recipe, settings, seed and data).")
        try:
            baseline_metrics = _train_or_resume(replace(task, notes=[*task.notes, note]), baseline_run)
        except TrainingInterrupted as stop:  # the baseline is part of the distillation: resume that
            stop.resume_command = f"shendu distill --resume {run.path}"
            raise
    teacher_metrics = teacher.run.read_json(METRICS)
    smoothing = float(getattr(task.loss_fn, "label_smoothing", 0.0))  # the student's own hard-label loss
    student_parameters = sum(p.numel() for p in build_model(factory_path(task.factory), task.model_kwargs).parameters())
    details = {"temperature": settings.temperature, "alpha": settings.alpha, "label_smoothing": smoothing,
               "teacher_recipe": teacher.config.recipe,
               "teacher_parameters": teacher.spec.num_parameters, "student_parameters": student_parameters,
               "teacher_test_metric": {"test_acc": teacher_metrics["test_acc"]},
               "teacher_logits": how, "teacher_logits_mode": settings.teacher_logits,
               "augment": bool(getattr(config, "augment", False)),
               "baseline": settings.baseline,
               "baseline_test_metric": None if baseline_metrics is None else {"test_acc": baseline_metrics["test_acc"]}}
    student = replace(
        task,
        title=f"{task.title}, distilled from {teacher.config.recipe}",
        kind="distillation",
        loss_fn=DistillationLoss(settings.temperature, settings.alpha, smoothing),
        data=replace(task.data, train=LiveTeacherDataset(task.data.train, teacher.model)
                     if settings.teacher_logits == "live" else TeacherLogitsDataset(task.data.train, logits)),
        target=Target("test_acc", minimum=round(float(teacher_metrics["test_acc"]) - 0.01, 6)),
        notes=[*task.notes, *student_notes(details, teacher_name, len(logits))],
        variant=Variant("distill", teacher_name, teacher.spec.weights_sha256, "torch", details),
    )
    metrics = _train_or_resume(student, run)
    section = distillation_section(details, teacher_name, metrics, recipe.name, _changed_settings(recipe, config))
    report = run.file(REPORT).read_text(encoding="utf-8")
    run.write_text(REPORT, report.replace("\n## Data\n", f"\n{section}\n## Data\n", 1))
    return run, metrics


def _train_or_resume(task: Any, run: RunFolder) -> dict[str, Any]:
    """The metrics of ``run``: read if it is complete, else trained (from its last checkpoint
    when it has one)."""
    from shendu.train import train_task

    if run.is_complete:
        return run.read_json(METRICS)
    run.path.mkdir(parents=True, exist_ok=True)
    return train_task(task, run, resume=(run.checkpoints / LAST_CHECKPOINT).is_file()).metrics


def _changed_settings(recipe: Any, config: Any) -> dict[str, Any]:
    """The student's settings that differ from the recipe's defaults (for the `shendu train`
    command that repeats its baseline)."""
    defaults = recipe.default_config().to_dict()
    return {k: v for k, v in config.to_dict().items() if k not in ("progress", "devices") and defaults.get(k) != v}

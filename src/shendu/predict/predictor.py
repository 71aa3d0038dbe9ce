"""``shendu.load(run) -> Predictor``: one way in to every trained model.

Load once, call many times (the documents' ``SentimentAnalyzer`` / ``ImageClassifier``)::

    import shendu
    model = shendu.load("runs/imdb-lstm-attention-20261124-101500")
    model.predict(["A moving film."])[0].to_dict()
    # {'text': 'A moving film.', 'sentiment': 'positive', 'confidence': 0.97, 'probabilities': {...}}

The Predictor reads the run folder once (model.json, the verified weights, the kind's saved
preprocessing such as ``tokenizer.json``) and hands every call to the run's task kind
(:mod:`shendu.predict.kinds`). It needs no trainer and never imports Lightning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from shendu.data.base import TestSource, dataset_checksum
from shendu.data.specs import InputSpec, input_spec_from_dict
from shendu.errors import InputError, RunFolderError
from shendu.predict.baselines import rescore_baselines
from shendu.predict.formats import FORMATS, open_model
from shendu.predict.kinds import TaskKind, get_task_kind
from shendu.predict.kinds.base import Result
from shendu.predict.variant import Variant
from shendu.runfolder import CONFIG, ENV, METRICS, MODEL, RunFolder
from shendu.typed import from_json

log = logging.getLogger(__name__)

MODEL_SCHEMA_VERSION = 1
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ModelSpec:
    """model.json: how to rebuild the model and read its inputs.

    Args:
        factory: ``"shendu.models.<module>:<function>"``; ``kwargs`` its keyword arguments.
        task: the task kind (``image-classification``, ``object-detection``, ...).
        labels: class names (characters for speech, the series' name for forecasters).
        input: the typed input spec.
        weights_sha256: SHA-256 of model.safetensors.
        num_parameters: the model's parameter count.
        test_data: how evaluate rebuilds the test split (runs made before it was saved: ``None``).
        format: how the model is stored and run: ``torch``, ``torch-int8`` or ``onnx``
            (:mod:`shendu.predict.formats`); ``weights_sha256`` is then that file's.
        variant: for a run made by `shendu compress`, `export` or `distill`, how it was made.
    """

    factory: str
    kwargs: dict[str, Any]
    labels: list[str]
    input: InputSpec
    weights_sha256: str
    task: str = "image-classification"
    num_parameters: int = 0
    test_data: TestSource | None = None
    format: str = "torch"
    variant: Variant | None = None
    schema_version: int = MODEL_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = {"schema_version": self.schema_version, "factory": self.factory, "kwargs": self.kwargs,
               "task": self.task, "labels": list(self.labels), "input": self.input.to_dict(),
               "weights_sha256": self.weights_sha256, "num_parameters": self.num_parameters,
               "test_data": None if self.test_data is None else self.test_data.to_dict()}
        if self.format != "torch" or self.variant is not None:  # a plain run's model.json stays as it was
            out["format"] = self.format
            out["variant"] = None if self.variant is None else self.variant.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "model.json") -> ModelSpec:
        """Every key type-checked; unknown keys, missing fields and a newer schema refused."""
        version = d.get("schema_version", 1)
        if isinstance(version, int) and not isinstance(version, bool) and version > MODEL_SCHEMA_VERSION:
            raise RunFolderError(f"{where} has schema_version {version}; this shendu reads up to "
                                 f"{MODEL_SCHEMA_VERSION}. Upgrade shendu to use this run.")
        sha = d.get("weights_sha256")
        if not (isinstance(sha, str) and SHA256.fullmatch(sha)):
            shown = "missing" if "weights_sha256" not in d else f"{sha!r:.80}"
            raise RunFolderError(f"{where} `weights_sha256` is required: the 64 lowercase hexadecimal digits of the SHA-256 of "
                                 f"the model file, which loading checks; got {shown}. Restore model.json from the run "
                                 "(`sha256sum model.safetensors` shows the file's), or train again.")
        raw = _typed(_ModelJson, d, where)
        if not raw.labels:
            raise RunFolderError(f"{where} `labels` must name the model's classes (at least one); got an empty list. "
                                 "Restore model.json from the run, or train again.")
        if raw.num_parameters < 0:
            raise RunFolderError(f"{where} `num_parameters` must be a count of at least 0; got {raw.num_parameters}. "
                                 "Restore model.json from the run, or train again.")
        test = None if raw.test_data is None else _typed(TestSource, raw.test_data, f"{where} `test_data`")
        if raw.format not in FORMATS:
            raise RunFolderError(f"{where} has format {raw.format!r}; this shendu reads {', '.join(FORMATS)}. "
                                 "Restore the file or make the run again.")
        variant = None if raw.variant is None else _typed(Variant, raw.variant, f"{where} `variant`")
        return cls(factory=raw.factory, kwargs=raw.kwargs, labels=raw.labels,
                   input=_typed(input_spec_from_dict, raw.input, f"{where} `input`"), weights_sha256=raw.weights_sha256,
                   task=raw.task, num_parameters=raw.num_parameters, test_data=test, format=raw.format,
                   variant=variant, schema_version=raw.schema_version)


def _typed(read: Any, data: Any, where: str, fix: str = "Restore model.json from the run, or train again.") -> Any:
    """``read`` (a dataclass read by :func:`from_json`, or a reader function) of ``data``; its
    RunFolderError gets the fix appended where it has none."""
    try:
        return read(data, where) if not isinstance(read, type) else from_json(read, data, where, RunFolderError)
    except RunFolderError as exc:
        message = str(exc)
        if any(fix in message for fix in ("Restore", "train again", "Upgrade", "shendu version")):
            raise
        raise RunFolderError(f"{message} {fix}") from None


@dataclass(frozen=True)
class _ModelJson:
    factory: str
    kwargs: dict[str, Any]
    labels: list[str]
    input: dict[str, Any]
    weights_sha256: str
    task: str = "image-classification"
    num_parameters: int = 0
    test_data: dict[str, Any] | None = None
    format: str = "torch"
    variant: dict[str, Any] | None = None
    schema_version: int = MODEL_SCHEMA_VERSION


@dataclass(frozen=True)
class RunConfig:
    """config.json: the recipe, the engine and every setting (the recipe checks the settings)."""

    recipe: str
    engine: str
    config: dict[str, Any]


@dataclass
class Evaluation:
    """What :meth:`Predictor.evaluate` measured, next to what training saved.

    Args:
        metrics: the test metrics now (``test_*``).
        saved: metrics.json as training wrote it.
        test_sha256: checksum of the rebuilt test split; ``expected_sha256``: env.json's
            (``None`` for runs made before it was recorded).
    """

    metrics: dict[str, Any]
    saved: dict[str, Any]
    test_sha256: str
    expected_sha256: str | None
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def data_changed(self) -> bool | None:
        """True when the test split differs from the one the run was tested on."""
        return None if self.expected_sha256 is None else self.test_sha256 != self.expected_sha256

    @property
    def reproduced(self) -> bool:
        """Every metric that metrics.json holds equals the one measured now, exactly.

        Metrics a newer shendu computes that the run's training did not (e.g. a test added
        since) have nothing to be compared with and do not count; at least one must match.
        """
        shared = [k for k in self.metrics if k in self.saved]
        return bool(shared) and all(self.saved[k] == self.metrics[k] for k in shared)


class Predictor:
    """A trained model from a run folder, ready to predict and evaluate (see :func:`load`).

    Attributes:
        run: the run folder; ``spec``: model.json; ``config``: config.json.
        kind: the task kind that reads inputs, predicts, renders and evaluates.
        model: the torch module in eval mode; ``state``: what the kind read once (tokenizer...).
    """

    def __init__(self, run: RunFolder, model: nn.Module, spec: ModelSpec, config: RunConfig, kind: TaskKind) -> None:
        self.run, self.model, self.spec, self.config, self.kind = run, model, spec, config, kind
        self.state = kind.prepare(run.path, spec.input)

    @property
    def labels(self) -> list[str]:
        return list(self.spec.labels)

    @property
    def input_spec(self) -> InputSpec:
        return self.spec.input

    @property
    def task(self) -> str:
        return self.spec.task

    @property
    def info(self) -> dict[str, Any]:
        """Recipe, task, inputs, labels, size and the saved test metrics, as a dict."""
        metrics = self.run.read_json(METRICS) if self.run.file(METRICS).is_file() else {}
        return {"run": str(self.run.path), "recipe": self.config.recipe, "engine": self.config.engine,
                "task": self.task, "input": self.spec.input.to_dict(), "labels": self.labels,
                "num_parameters": self.spec.num_parameters,
                "metrics": {k: v for k, v in metrics.items() if k.startswith("test_")},
                "options": dict(self.kind.options)}

    def predict(self, inputs: Any, **options: Any) -> list[Result]:
        """Predict a batch of inputs (one input is a batch of one); see the kind for what it reads.

        ``options`` are the kind's own (``top_k`` for classifiers, ``explain`` for text,
        ``score_threshold``/``save_dir`` for detectors, ``caption`` for multimodal runs).

        Raises:
            InputError: an input the model cannot read, or an option this kind does not take.
        """
        unknown = sorted(set(options) - set(self.kind.options))
        if unknown:
            takes = ", ".join(f"--{o.replace('_', '-')}" for o in self.kind.options) or "no options"
            raise InputError(f"{', '.join('--' + o.replace('_', '-') for o in unknown)} is not an option of "
                             f"{self.task} runs; they take {takes}.")
        if isinstance(inputs, str | Path) or not isinstance(inputs, Sequence):
            inputs = [inputs]
        if len(inputs) == 0:
            raise InputError("predict needs at least one input.")
        return self.kind.predict(self, list(inputs), **options)

    def evaluate(self, progress: Callable[[int, int], Any] | None = None) -> Evaluation:
        """Rebuild the test split from model.json's ``test_data`` with the run's own preprocessing
        (nothing is trained), check it against env.json's checksum, and test the model on it
        with the same function training used; a classifier's stored baselines are re-scored on it."""
        if self.spec.test_data is None:
            raise RunFolderError(f"{self.run.file(MODEL)} has no `test_data` (the run was made before shendu "
                                 "recorded how to rebuild its test split); train it again to evaluate it.")
        test = self.spec.test_data.build(self.spec.input, self.run.path)
        checksum = dataset_checksum(test)
        env = self.run.read_json(ENV) if self.run.file(ENV).is_file() else {}
        expected = (env.get("data") or {}).get("test_sha256") if isinstance(env.get("data"), dict) else None
        if expected is not None and expected != checksum:
            log.warning("the test split of %s differs from the one it was tested on (SHA-256 %s..., env.json "
                        "says %s...)", self.run.path, checksum[:12], str(expected)[:12])
        evaluation = self.kind.evaluate(self.model, test, self.labels, self.spec.input, progress=progress)
        evaluation.update(rescore_baselines(self.run.path, evaluation.get("targets"), checksum))  # never refitted
        saved = self.run.read_json(METRICS) if self.run.file(METRICS).is_file() else {}
        return Evaluation(metrics={k: v for k, v in evaluation.items() if k.startswith("test_")}, saved=saved,
                          test_sha256=checksum, expected_sha256=expected,
                          extras={k: v for k, v in evaluation.items() if not k.startswith("test_")})

    def __repr__(self) -> str:
        return f"Predictor({str(self.run.path)!r}, task={self.task!r}, labels={len(self.labels)})"


def read_model_spec(run: RunFolder) -> ModelSpec:
    return ModelSpec.from_dict(run.read_json(MODEL), str(run.file(MODEL)))


def read_run_config(run: RunFolder) -> RunConfig:
    return _typed(RunConfig, run.read_json(CONFIG), str(run.file(CONFIG)),
                  "Restore config.json from the run, or train again.")


def load(run: Path | str) -> Predictor:
    """Open a run folder, rebuild its model from model.json and load its verified weights.

    Raises:
        RunFolderError: a missing folder or file, a hand-edited config.json/model.json with a
            wrong type, unknown key or missing field, weights whose checksum does not match.
    """
    folder = RunFolder.open(run, require=(CONFIG, MODEL))
    spec = read_model_spec(folder)
    config = read_run_config(folder)
    kind = get_task_kind(spec.task, spec.input.kind)
    check_labels(spec, kind, str(folder.file(MODEL)))
    return Predictor(folder, open_model(folder, spec), spec, config, kind)


def check_labels(spec: ModelSpec, kind: TaskKind, where: str = "model.json") -> None:
    """Refuse labels that do not name the classes ``kwargs.num_classes`` says the model outputs
    (a prediction would have no name, or a name of another class)."""
    expected, found = kind.model_classes(spec.labels, spec.input), spec.kwargs.get("num_classes")
    if expected is None or not isinstance(found, int) or isinstance(found, bool) or found == expected:
        return
    raise RunFolderError(f"{where} `kwargs.num_classes` is {found}, but its `labels` ({len(spec.labels)} names) "
                         f"call for a model of {expected} classes: each class the model outputs needs its label. "
                         "Restore model.json from the run, or train again.")

"""The models a service serves: each run folder given at start, loaded once (never anything a
request names), warmed up, and fed through its own :class:`~shendu.serve.batching.Batcher`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shendu.errors import ShenduError
from shendu.serve.batching import Batcher
from shendu.serve.inputs import FIELD_OF_KIND, HTTP_OPTIONS, example_input

log = logging.getLogger(__name__)


def check_runs(runs: list[str]) -> list[tuple[str, Path]]:
    """``(name, path)`` per run folder, checked before the service starts: each is a folder with
    a readable config.json and model.json (the weights are verified when loaded). Names are the
    folders' names, made unique with ``-2``, ``-3``...

    Raises:
        ShenduError: a folder that is missing, incomplete or hand-broken.
    """
    from shendu.predict.predictor import read_model_spec, read_run_config
    from shendu.runfolder import CONFIG, MODEL, RunFolder

    named: list[tuple[str, Path]] = []
    for run in runs:
        folder = RunFolder.open(run, require=(CONFIG, MODEL))
        read_model_spec(folder), read_run_config(folder)
        name, n = folder.path.name, 2
        while any(name == other for other, _ in named):
            name, n = f"{folder.path.name}-{n}", n + 1
        named.append((name, folder.path.resolve()))
    return named


@dataclass
class ServedModel:
    """One run folder in the service. ``state``: ``loading``, ``ready`` or ``failed: why``."""

    name: str
    path: Path
    state: str = "loading"
    predictor: Any = None
    batcher: Batcher | None = field(default=None, repr=False)
    load_seconds: float | None = None
    attention: bool = False
    description: dict[str, Any] | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def load(self, warmup: bool) -> None:
        """Load the run folder and run one prediction (in the inference thread)."""
        from shendu.predict import load

        started = time.perf_counter()
        try:
            predictor = load(self.path)
            example = example_input(predictor.input_spec.kind, predictor.input_spec)
            if warmup:
                predictor.predict([example])
            self.attention = predictor.task == "text-classification" and _explains(predictor, example)
        except ShenduError as exc:
            self.state = f"failed: {exc}"
            log.error("model %s could not be loaded: %s", self.name, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a model that cannot load is reported, the others still serve
            self.state = f"failed: {type(exc).__name__}: {exc}"
            log.exception("model %s could not be loaded", self.name)
            return
        self.predictor, self.load_seconds = predictor, time.perf_counter() - started
        self.description = self._describe()
        self.state = "ready"
        log.info("model %s ready in %.1f s", self.name, self.load_seconds)

    def predict(self, inputs: list[Any], options: dict[str, Any]) -> list[dict[str, Any]]:
        """The batcher's ``predict``: results as ``shendu predict --json`` prints them."""
        return [r.to_dict() for r in self.predictor.predict(inputs, **options)]

    @property
    def options(self) -> list[str]:
        return sorted(set(self.predictor.kind.options) & HTTP_OPTIONS)

    def info(self) -> dict[str, Any]:
        """What ``GET /v1/models`` says of the model (read once, at load)."""
        assert self.description is not None, "info() of a model that is not loaded"
        return self.description

    def _describe(self) -> dict[str, Any]:
        predictor = self.predictor
        details = predictor.info
        kind = predictor.input_spec.kind
        return {"name": self.name, "recipe": details["recipe"], "task": details["task"], "input_kind": kind,
                "input_field": FIELD_OF_KIND[kind], "input": details["input"], "labels": details["labels"],
                "num_parameters": details["num_parameters"], "format": predictor.spec.format,
                "metrics": details["metrics"], "options": self.options, "attention": self.attention}


def _explains(predictor: Any, example: Any) -> bool:
    """Whether a text model returns attention weights (``explain``), tried once at load."""
    try:
        predictor.predict([example], explain=1)
    except ShenduError:
        return False
    return True

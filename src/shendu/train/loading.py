"""Rebuild a trained model from a run folder (model.json + model.safetensors)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from shendu.errors import RunFolderError
from shendu.models import build_model
from shendu.runfolder import CONFIG, MODEL, RunFolder


@dataclass
class LoadedRun:
    """A model rebuilt from a run folder, with what predict/evaluate/serve need to use it."""

    run: RunFolder
    model: nn.Module
    spec: dict[str, Any]
    config: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return list(self.spec["labels"])

    @property
    def input_spec(self) -> dict[str, Any]:
        return dict(self.spec["input"])


def load_run(path: Path | str) -> LoadedRun:
    """Open ``path``, rebuild its model and load its verified weights (eval mode)."""
    run = RunFolder.open(path)
    spec = run.read_json(MODEL)
    config = run.read_json(CONFIG)
    for key in ("factory", "kwargs", "labels", "input", "weights_sha256"):
        if key not in spec:
            raise RunFolderError(
                f"{run.file(MODEL)} must have the key {key!r} (it has {', '.join(sorted(spec)) or 'none'}); "
                "it was not written by this version of shendu, or was edited. Train the run again."
            )
    model = build_model(spec["factory"], spec["kwargs"])
    state = run.load_weights(expected_sha256=spec["weights_sha256"])
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise RunFolderError(
            f"{run.file('model.safetensors')} does not fit the model that model.json describes "
            f"({spec['factory']}): {str(exc).splitlines()[0]} Restore the matching files or train again."
        ) from None
    return LoadedRun(run=run, model=model.eval(), spec=spec, config=config)

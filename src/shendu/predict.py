"""Predictions from a loaded run: top-k classes with probabilities (the documents' predict)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from shendu.data.base import ImageSpec
from shendu.data.images import image_to_tensor, read_image
from shendu.errors import InputError
from shendu.train.loading import LoadedRun


def predict_inputs(loaded: LoadedRun, inputs: Sequence[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify what a user typed: image paths for image models, ``"x1,x2,..."`` for vector models."""
    kind = loaded.input_spec.get("kind")
    if kind == "image":
        return predict_images(loaded, [Path(i) for i in inputs], top_k)
    if kind == "vector":
        return predict_vectors(loaded, inputs, top_k)
    raise InputError(f"run {loaded.run.path} takes {kind!r} inputs, which predict does not read yet.")


@torch.no_grad()
def predict_vectors(loaded: LoadedRun, inputs: Sequence[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify comma-separated feature vectors such as ``"1,0"``."""
    features = int(loaded.input_spec["features"])
    rows = []
    for text in inputs:
        try:
            row = [float(v) for v in text.split(",")]
        except ValueError:
            row = []
        if len(row) != features:
            raise InputError(
                f"INPUT must be {features} comma-separated numbers for this model, like "
                f"{','.join(['1'] * features)}; got {text!r}."
            )
        rows.append(row)
    return _top_k(loaded, list(inputs), torch.tensor(rows, dtype=torch.float32), top_k)


@torch.no_grad()
def predict_images(loaded: LoadedRun, paths: Sequence[Path | str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify image files; returns one ``{"input", "top": [{"label", "probability"}...]}`` each.

    Raises:
        InputError: a file is missing or not an image, or the run is not an image model.
    """
    spec_dict = loaded.input_spec
    if spec_dict.get("kind") != "image":
        raise InputError(f"run {loaded.run.path} takes {spec_dict.get('kind')} inputs, not image files.")
    spec = ImageSpec.from_dict(spec_dict)
    batch = torch.stack([image_to_tensor(read_image(p), spec) for p in paths])
    return _top_k(loaded, [str(p) for p in paths], batch, top_k)


def _top_k(loaded: LoadedRun, names: list[str], batch: torch.Tensor, top_k: int) -> list[dict[str, Any]]:
    probabilities = torch.softmax(loaded.model(batch), dim=1)
    k = min(top_k, probabilities.shape[1])
    values, indices = probabilities.topk(k, dim=1)
    labels = loaded.labels
    return [
        {"input": name,
         "top": [{"label": labels[int(i)], "probability": round(float(v), 6)} for v, i in zip(vals, idx, strict=True)]}
        for name, vals, idx in zip(names, values, indices, strict=True)
    ]

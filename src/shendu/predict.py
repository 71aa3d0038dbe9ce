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
    probabilities = torch.softmax(loaded.model(batch), dim=1)
    k = min(top_k, probabilities.shape[1])
    values, indices = probabilities.topk(k, dim=1)
    labels = loaded.labels
    return [
        {"input": str(path),
         "top": [{"label": labels[int(i)], "probability": round(float(v), 6)} for v, i in zip(vals, idx, strict=True)]}
        for path, vals, idx in zip(paths, values, indices, strict=True)
    ]

"""What a task kind provides, and the pieces several kinds share (top-k, image inputs).

A task kind owns, in one module: how its inputs are read and validated, predict, how a result
renders (a rich table; ``to_dict`` is the JSON), evaluate on a test split, its pictures and its
report rows. The Predictor, the CLI, training's finish step and (next) the HTTP service call
these and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from shendu.data.specs import ImageSpec, InputSpec
from shendu.errors import InputError, RunFolderError
from shendu.terminal import json_text, safe_text

if TYPE_CHECKING:
    from rich.console import Console
    from torch import nn
    from torch.utils.data import Dataset

    from shendu.predict.predictor import Predictor

Progress = Callable[[int, int], Any] | None


@dataclass
class Result:
    """One prediction; ``to_dict()`` is what ``shendu predict --json`` prints (``None`` fields left out)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ClassScores(Result):
    """The ``top`` classes of one input, best first: ``[{"label", "probability"}]``."""

    input: str
    top: list[dict[str, Any]]


class TaskKind:
    """The contract of a task kind (see the module docstring). Subclasses set the class
    attributes and override what they do differently.

    Attributes:
        task: model.json's ``task`` (the registry key).
        input_kind: the input spec's kind this task reads.
        options: predict options with their defaults (``top_k``, ``explain``, ...).
        test_noun: what a test example is called in the CLI's messages.
    """

    task: str = ""
    input_kind: str = ""
    options: dict[str, Any] = {}
    test_noun: str = "test examples"

    # -- predict ------------------------------------------------------------------------------

    def prepare(self, run_dir: Path, spec: InputSpec) -> Any:
        """Read what predict needs from the run folder once, at load (e.g. the tokenizer);
        the Predictor keeps it as ``predictor.state``."""
        return None

    def predict(self, predictor: Predictor, inputs: Sequence[Any], **options: Any) -> list[Result]:
        raise NotImplementedError

    def model_classes(self, labels: list[str], spec: InputSpec) -> int | None:
        """How many classes a model of this kind outputs for ``labels`` (model.json's
        ``kwargs.num_classes``, where the factory takes one); ``None``: the labels are no classes."""
        return len(labels)

    def render(self, results: Sequence[Result], console: Console) -> None:
        """Rich output for a person; the default prints each result's JSON."""
        console.out(json_text([r.to_dict() for r in results]), highlight=False)

    # -- evaluate -----------------------------------------------------------------------------

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Progress = None) -> dict[str, Any]:
        """Test metrics (keys ``test_*``; other keys are extras for the pictures, not saved)."""
        raise NotImplementedError

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        """Write the kind's pictures of a test evaluation into ``folder``; return their names."""
        return []

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        raise NotImplementedError

    def headline(self, metrics: dict[str, Any]) -> str:
        """The one line the CLI prints after training."""
        raise NotImplementedError


# -- shared helpers -------------------------------------------------------------------------------


def check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise InputError(f"top_k (--top-k) must be a whole number of at least 1; got {top_k!r}.")
    return top_k


def top_classes(probabilities: torch.Tensor, labels: list[str], top_k: int) -> list[list[dict[str, Any]]]:
    """Per row of ``probabilities (N, C)``: the ``top_k`` classes, best first."""
    if probabilities.shape[1] > len(labels):
        raise RunFolderError(f"model.json `labels` names {len(labels)} classes, but the model outputs "
                             f"{probabilities.shape[1]}: model.json and the weights do not belong together. Restore "
                             "model.json from the run, or train again.")
    values, indices = probabilities.topk(min(top_k, probabilities.shape[1]), dim=1)
    return [[{"label": labels[int(i)], "probability": round(float(v), 6)} for v, i in zip(row_v, row_i, strict=True)]
            for row_v, row_i in zip(values, indices, strict=True)]


def read_images(inputs: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(name, image)`` per input: a file path, a PIL image or an array (``(H, W)``,
    ``(H, W, C)``; uint8, or floats in [0, 1]).

    Every input is checked before any is predicted, but files are not decoded here: a path
    becomes an :class:`~shendu.data.images.ImageFile` checked from its header (format, size,
    structure), which :func:`decoded` turns into pixels when the image is predicted, so that a
    batch of large photos is never in memory at once.
    """
    from PIL import Image

    from shendu.data.images import check_image

    out = []
    for i, item in enumerate(inputs):
        if isinstance(item, str | Path):
            out.append((str(item), check_image(item)))
        elif isinstance(item, Image.Image):
            out.append((f"<image {i}>", item))
        elif isinstance(item, np.ndarray) and item.ndim in (2, 3):
            pixels = item if item.dtype == np.uint8 else (np.clip(item, 0, 1) * 255).round().astype(np.uint8)
            out.append((f"<array {i}>", Image.fromarray(pixels)))
        else:
            raise InputError(f"input {i} must be an image file path, a PIL image or an (H, W[, C]) array; got "
                             f"{type(item).__name__}{'' if not isinstance(item, np.ndarray) else f' of shape {item.shape}'}.")
    return out


def decoded(image: Any) -> Any:
    """The PIL image of an entry of :func:`read_images`: a checked file is decoded now."""
    from shendu.data.images import ImageFile

    return image.open() if isinstance(image, ImageFile) else image


def image_batch(images: Sequence[Any], spec: ImageSpec) -> torch.Tensor:
    """``(N, C, H, W)`` model inputs; each file is decoded, converted and let go in turn."""
    from shendu.data.images import image_to_tensor

    return torch.stack([image_to_tensor(decoded(image), spec) for image in images])


def render_class_tables(results: Sequence[ClassScores], console: Console) -> None:
    from rich.table import Table

    for item in results:
        table = Table(title=safe_text(item.input))
        table.add_column("class")
        table.add_column("probability", justify="right")
        for entry in item.top:
            table.add_row(safe_text(entry["label"]), f"{entry['probability']:.4f}")
        console.print(table)

"""Multimodal classification: a digit read from an image and a caption together, with what the
image-only and text-only models trained beside the fused one say alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from shendu.data.specs import InputSpec, MultimodalSpec
from shendu.errors import InputError
from shendu.predict.baselines import baseline_rows
from shendu.predict.kinds.base import (
    check_top_k,
    decoded,
    read_images,
    render_class_tables,
    top_classes,
)
from shendu.predict.kinds.classification import ClassifierKind, ClassScores, evaluate_classifier
from shendu.terminal import safe_text

if TYPE_CHECKING:
    from rich.console import Console

    from shendu.predict.predictor import Predictor


@dataclass
class PairScores(ClassScores):
    """The fused model's ``top`` classes for an image + caption, what the single-modality models
    say alone (``image_only``, ``text_only``: label and probability), and
    ``caption_words_known``: distinct caption words seen in training (0: the caption adds nothing)."""

    caption: str = ""
    caption_words_known: int = 0
    image_only: dict[str, Any] | None = None
    text_only: dict[str, Any] | None = None


class MultimodalClassification(ClassifierKind):
    task = "multimodal-classification"
    input_kind = "multimodal"
    options = {"top_k": 3, "caption": None}
    test_noun = "test pairs"

    def prepare(self, run_dir: Path, spec: InputSpec) -> Any:
        from shendu.data.multimodal import caption_vectorizer

        vectorizer = caption_vectorizer(list(spec.text_vocabulary))  # type: ignore[attr-defined]
        return vectorizer, vectorizer.build_analyzer()

    @torch.no_grad()
    def predict(self, predictor: Predictor, inputs: Sequence[Any], top_k: int = 3,
                caption: str | Sequence[str] | None = None) -> list[PairScores]:
        """``inputs``: images (paths, PIL images, arrays) read with ``caption`` (one for all, or
        one per image), or ``(image, caption)`` pairs.

        Raises:
            InputError: no caption, a caption count that does not match, an empty or binary
                caption, a missing or non-image file.
        """
        from shendu.data.images import image_to_tensor
        from shendu.data.text import check_text

        images, captions = _pairs(predictor, inputs, caption)
        spec: MultimodalSpec = predictor.input_spec  # type: ignore[assignment]
        captions = [check_text(c, "--caption") for c in captions]
        named = read_images(images)
        pixels = torch.stack([image_to_tensor(decoded(image), spec.image).reshape(-1) for _, image in named])
        vectorizer, analyze = predictor.state
        text = torch.from_numpy(vectorizer.transform(captions).toarray().astype(np.float32))
        x = torch.cat([text, pixels], dim=1)
        model, labels, words = predictor.model, predictor.labels, set(spec.text_vocabulary)
        fused = top_classes(torch.softmax(model(x), dim=1), labels, check_top_k(top_k))
        alone = {name: top_classes(torch.softmax(model.branch(name)(x), dim=1), labels, 1) for name in ("image", "text")}
        return [PairScores(name, top, caption=c, caption_words_known=len({w for w in analyze(c) if " " not in w} & words),
                           image_only=alone["image"][i][0], text_only=alone["text"][i][0])
                for i, ((name, _), top, c) in enumerate(zip(named, fused, captions, strict=True))]

    def render(self, results: Sequence[Any], console: Console) -> None:
        for item in results:
            render_class_tables([ClassScores(f"{item.input} + {item.caption!r}", item.top)], console)
            alone = " · ".join(f"{name} model: {safe_text(entry['label'])} ({entry['probability']:.4f})"
                               for name, entry in (("image-only", item.image_only), ("text-only", item.text_only)))
            console.print(f"{alone} · caption words the model knows: {item.caption_words_known}")

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Any = None) -> dict[str, Any]:
        """The fused model's metrics (``test_acc``...) and each single-modality model's accuracy."""
        result = evaluate_classifier(model, dataset, len(labels), progress=progress)
        for name in ("image", "text"):
            result[f"test_acc_{name}_only"] = evaluate_classifier(model.branch(name), dataset, len(labels))["test_acc"]  # type: ignore[operator]
        result["test_fusion_gain"] = result["test_acc"] - max(result["test_acc_image_only"], result["test_acc_text_only"])
        return result

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        fused, image, text = metrics["test_acc"], metrics["test_acc_image_only"], metrics["test_acc_text_only"]
        return [
            ("test accuracy: fused (MultiModalModel)", f"{fused:.4f} ({fused * 100:.2f}%)"),
            ("test accuracy: image-only model", f"{image:.4f} ({image * 100:.2f}%)"),
            ("test accuracy: text-only model", f"{text:.4f} ({text * 100:.2f}%)"),
            ("fused minus the better single modality", f"{metrics['test_fusion_gain'] * 100:+.2f} points"),
            *baseline_rows(metrics),
            ("test pairs", str(metrics["test_samples"])),
        ]

    def headline(self, metrics: dict[str, Any]) -> str:
        return (f"test accuracy: fused [bold]{metrics['test_acc'] * 100:.2f}%[/], image only "
                f"{metrics['test_acc_image_only'] * 100:.2f}%, text only {metrics['test_acc_text_only'] * 100:.2f}% on "
                f"{metrics['test_samples']:,} test pairs")


def _pairs(predictor: Predictor, inputs: Sequence[Any], caption: str | Sequence[str] | None) -> tuple[list, list]:
    if caption is None and inputs and all(isinstance(i, tuple) and len(i) == 2 for i in inputs):
        return [i[0] for i in inputs], [i[1] for i in inputs]
    captions = [caption] if isinstance(caption, str) else list(caption or [])
    if not captions:
        raise InputError(f"run {predictor.run.path} reads an image and a caption together; add --caption TEXT "
                         "(e.g. --caption 'an even number').")
    if len(captions) not in (1, len(inputs)):
        raise InputError(f"give one --caption for all images or one per image; got {len(captions)} captions for "
                         f"{len(inputs)} images.")
    if not all(isinstance(c, str) and c.strip() for c in captions):
        raise InputError("a --caption is empty; pass a clue about the digit, e.g. --caption 'an even number'.")
    return list(inputs), captions if len(captions) == len(inputs) else captions * len(inputs)


MULTIMODAL_CLASSIFICATION = MultimodalClassification()

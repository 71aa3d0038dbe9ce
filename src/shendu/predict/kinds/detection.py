"""Object detection: boxes with labels and scores per image (drawn into a picture on request),
COCO mAP on the test split (torchmetrics, pycocotools backend)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from shendu.data.specs import InputSpec
from shendu.errors import InputError
from shendu.predict.kinds.base import Progress, Result, TaskKind, decoded, read_images

if TYPE_CHECKING:
    from torchmetrics.detection import MeanAveragePrecision

    from shendu.predict.predictor import Predictor

EVAL_BATCH_SIZE = 32
DETECTIONS = "detections.png"


@dataclass
class Detections(Result):
    """``detections``: ``[{"label", "score", "box": [x1, y1, x2, y2]}]`` in the input's pixels,
    best first; ``image``: the picture with the boxes drawn, when a ``save_dir`` was given."""

    input: str
    detections: list[dict[str, Any]]
    image: str | None = None


def mean_average_precision(sync: bool = True) -> MeanAveragePrecision:
    """COCO mAP over IoU 0.5:0.95, and at 0.5 and 0.75 (pycocotools backend), per class too."""
    from torchmetrics.detection import MeanAveragePrecision

    return MeanAveragePrecision(iou_type="bbox", class_metrics=True, sync_on_compute=sync)


@torch.no_grad()
def evaluate_detector(model: nn.Module, dataset: Dataset, labels: list[str], device: str | torch.device = "cpu",
                      batch_size: int = EVAL_BATCH_SIZE, progress: Any = None, keep: int = 16) -> dict[str, Any]:
    """Test a detector: ``test_map_50``, ``test_map`` (@[.5:.95]), ``test_map_75``,
    ``test_mar_100``, per-class AP@[.5:.95] (``test_ap_per_class``), ``test_samples`` and
    ``test_objects``; plus ``predictions``/``targets`` of the first ``keep`` images (for pictures).
    """
    model = model.to(device).eval()
    metric = mean_average_precision(sync=False)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=dataset.collate_fn)
    kept_predictions: list[dict[str, torch.Tensor]] = []
    kept_targets: list[dict[str, torch.Tensor]] = []
    seen = objects = 0
    for images, targets in loader:
        detections = [{k: v.cpu() for k, v in d.items()} for d in model([im.to(device) for im in images])]
        metric.update(detections, targets)
        room = max(0, keep - len(kept_predictions))
        kept_predictions += detections[:room]
        kept_targets += targets[:room]
        seen += len(images)
        objects += sum(len(t["labels"]) for t in targets)
        if progress is not None:
            progress(seen, len(dataset))  # type: ignore[arg-type]
    result = metric.compute()
    per_class = {labels[int(c)]: round(float(ap), 6)
                 for c, ap in zip(result["classes"].reshape(-1), result["map_per_class"].reshape(-1), strict=True)}
    return {
        "test_map_50": float(result["map_50"]),
        "test_map": float(result["map"]),
        "test_map_75": float(result["map_75"]),
        "test_mar_100": float(result["mar_100"]),
        "test_ap_per_class": per_class,
        "test_samples": seen,
        "test_objects": objects,
        "predictions": kept_predictions,
        "targets": kept_targets,
    }


class ObjectDetection(TaskKind):
    task = "object-detection"
    input_kind = "image"
    options = {"score_threshold": 0.5, "save_dir": None}
    test_noun = "test images"

    @torch.no_grad()
    def predict(self, predictor: Predictor, inputs: Sequence[Any], score_threshold: float = 0.5,
                save_dir: Path | str | None = None) -> list[Detections]:
        """Boxes scoring at least ``score_threshold``; with ``save_dir``, each image with its boxes
        drawn is written there as ``<name>.boxes.png``.

        Every file is checked (format, size, structure) before anything is predicted or written;
        each is decoded only when its turn comes and let go after, so memory holds one image.

        Raises:
            InputError: a file is missing or not an image, or the threshold is not in [0, 1]; a
                file whose damage only decoding finds (a JPEG's body) when its turn comes.
        """
        from shendu.data.images import image_to_unit_tensor
        from shendu.plots import draw_detections
        from shendu.runfolder import atomic_write_bytes

        if isinstance(score_threshold, bool) or not isinstance(score_threshold, int | float) or not 0.0 <= score_threshold <= 1.0:
            raise InputError(f"--score-threshold must be between 0 and 1; got {score_threshold!r}.")
        named = read_images(inputs)  # every file checked before any output, each decoded only when predicted
        labels, results = predictor.labels, []
        for index, (name, image) in enumerate(named):
            original = decoded(image)
            detection = predictor.model([image_to_unit_tensor(original, predictor.input_spec)])[0]  # type: ignore[arg-type]
            keep = detection["scores"] >= score_threshold
            found = [{"label": labels[int(c)], "score": round(float(s), 4), "box": [round(float(v), 1) for v in box]}
                     for box, c, s in zip(detection["boxes"][keep], detection["labels"][keep],
                                          detection["scores"][keep], strict=True)]
            item = Detections(name, found)
            if save_dir is not None:
                stem = Path(name).stem if isinstance(inputs[index], str | Path) else f"image{index}"
                out = Path(save_dir) / f"{stem}.boxes.png"
                buffer = io.BytesIO()
                # drawn on the picture as the user gave it (not the inverted, grayscale model input)
                rgb = torch.from_numpy(np.asarray(original.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
                draw_detections(rgb, detection, labels, score_threshold).save(buffer, format="PNG")
                atomic_write_bytes(out, buffer.getvalue())
                item.image = str(out)
                del rgb
            results.append(item)
            del original  # before the next is decoded: one large photo in memory at a time
        return results

    def evaluate(self, model: nn.Module, dataset: Dataset, labels: list[str], spec: InputSpec,
                 progress: Progress = None) -> dict[str, Any]:
        return evaluate_detector(model, dataset, labels, progress=progress)

    def pictures(self, dataset: Dataset, evaluation: dict[str, Any], labels: list[str], spec: InputSpec,
                 folder: Path) -> list[str]:
        from shendu.plots import plot_detections

        images = [dataset[i][0] for i in range(len(evaluation["predictions"]))]
        plot_detections(images, evaluation["predictions"], evaluation["targets"], labels, folder / DETECTIONS)
        return [DETECTIONS]

    def report_rows(self, metrics: dict[str, Any]) -> list[tuple[str, str]]:
        rows = [
            ("test mAP@0.5", f"{metrics['test_map_50']:.4f}"),
            ("test mAP@[.5:.95]", f"{metrics['test_map']:.4f}"),
            ("test mAP@0.75", f"{metrics['test_map_75']:.4f}"),
            ("test mAR@100", f"{metrics['test_mar_100']:.4f}"),
            ("test images (objects)", f"{metrics['test_samples']} ({metrics['test_objects']})"),
        ]
        per_class = metrics.get("test_ap_per_class") or {}
        if per_class:
            rows.append(("AP@[.5:.95] per class", ", ".join(f"{k}: {v:.3f}" for k, v in per_class.items())))
        return rows

    def headline(self, metrics: dict[str, Any]) -> str:
        return (f"test mAP@0.5: [bold]{metrics['test_map_50']:.4f}[/], mAP@[.5:.95]: {metrics['test_map']:.4f} "
                f"on {metrics['test_samples']:,} test images")


OBJECT_DETECTION = ObjectDetection()

"""detect-digits: the documents' Faster R-CNN object detector, on canvases of MNIST digits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shendu.errors import ShenduError
from shendu.recipes.base import Recipe, recipe_config_json
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from shendu.data.specs import ImageSpec
    from shendu.train.task import TrainingTask

TARGET = Target("test_map_50", 0.90)


@dataclass
class DetectDigitsConfig(TrainConfig):
    """detect-digits settings. Defaults reach the target on canvases from the shipped sample.

    Args:
        data: a COCO-style ``annotations.json`` (or a folder holding one) whose image
            ``file_name``s are relative to its folder; ``None`` generates digit canvases.
        backbone: ``small`` (4 conv blocks, stride 4, ~1M parameters with the heads) or
            ``mobilenet_v3`` (torchvision's MobileNetV3-Large FPN, untrained; RGB data only).
        train_canvases, val_canvases, test_canvases: canvases generated per split.
        image_size: canvas side in pixels; for COCO data, images are resized so their
            shorter side is this (and their longer side at most this).
        split_seed: seed of the digit split and of the canvases (fixed, so every run tests on
            the same held-out canvases).
    """

    epochs: int = 4
    batch_size: int = 16
    lr: float = 3e-3
    optimizer: str = "adamw"
    weight_decay: float = 1e-4
    scheduler: str = "onecycle"
    restore_best: bool = False
    gradient_clip_val: float = 10.0
    data: str | None = None
    backbone: str = "small"
    train_canvases: int = 2000
    val_canvases: int = 200
    test_canvases: int = 500
    image_size: int = 96
    split_seed: int = 0


def model_kwargs(config: DetectDigitsConfig, spec: ImageSpec | None = None, num_classes: int = 10) -> dict[str, Any]:
    from shendu.data.detection import CANVAS_MEAN, CANVAS_STD

    channels, mean, std = (1, CANVAS_MEAN, CANVAS_STD) if spec is None else (spec.channels, spec.mean, spec.std)
    return {"num_classes": num_classes, "channels": channels, "image_size": config.image_size,
            "mean": list(mean), "std": list(std), "backbone": config.backbone}


def make_task(config: DetectDigitsConfig) -> TrainingTask:
    from shendu.data.detection import canvas_bundle, coco_bundle
    from shendu.models.detection import BACKBONES, digit_detector
    from shendu.train.task import TrainingTask

    if config.backbone not in BACKBONES:
        raise ShenduError(f"--set backbone= must be one of {', '.join(BACKBONES)}; got {config.backbone!r}.")
    if config.engine != "torch":
        raise ShenduError("detect-digits trains with --engine torch only: the scratch engine has no detector.")
    if config.data is None:
        data = canvas_bundle(config.train_canvases, config.val_canvases, config.test_canvases,
                             size=config.image_size, split_seed=config.split_seed)
    else:
        data = coco_bundle(config.data, image_size=config.image_size, split_seed=config.split_seed)
    if config.backbone == "mobilenet_v3" and data.input_spec.channels != 3:
        raise ShenduError("--set backbone=mobilenet_v3 takes RGB images; the digit canvases are grayscale. "
                          "Use the small backbone, or COCO-style RGB data with --data.")
    return TrainingTask(
        recipe=RECIPE.name,
        title=f"Object detection with Faster R-CNN ({config.backbone} backbone)",
        factory=digit_detector,
        model_kwargs=model_kwargs(config, data.input_spec, len(data.labels)),
        data=data,
        config=config,
        recipe_config=recipe_config_json(RECIPE, config),
        target=TARGET if config.data is None else None,
        kind="detection",
        notes=[
            "torchvision's FasterRCNN: a region proposal network (anchors of 12-36 pixels, height/width "
            "ratios 1, 2 and 3.5, for thin digits) proposes boxes, RoIAlign pools each proposal to 7x7, "
            "and a two-layer head classifies it and refines its box. Losses: RPN objectness + box "
            "regression, head classification + box regression, summed.",
            "Ground-truth boxes are exact: each digit's box is the tight bounding box of its ink, and "
            "test canvases are pasted from held-out MNIST digits only.",
            "mAP is COCO's (pycocotools through torchmetrics): AP averaged over the classes, at IoU 0.5 "
            "and averaged over IoU 0.5:0.95.",
        ],
    )


RECIPE = Recipe(
    name="detect-digits",
    summary="object detection with Faster R-CNN on canvases of several MNIST digits",
    data="96x96 canvases generated from the 5,000 shipped MNIST digits (or --data COCO json)",
    config_cls=DetectDigitsConfig,
    factory="shendu.models.detection:digit_detector",
    model_kwargs=model_kwargs,
    make_task=make_task,
    target=TARGET,
    parameters=1_016_723,
)

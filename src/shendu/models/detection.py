"""Object detectors: torchvision's Faster R-CNN with a backbone light enough for 2 CPU cores.

shendu numbers classes from 0 in data, labels and predictions, like its classifiers;
torchvision's detectors reserve class 0 for "background". :class:`Detector` shifts the
labels on the way in and out, so nothing else needs to know. Its ``state_dict`` keys are
those of torchvision's ``FasterRCNN``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops import MultiScaleRoIAlign

BACKBONES = ("small", "mobilenet_v3")


class Detector(FasterRCNN):
    """``FasterRCNN`` whose targets and detections use class ids ``0..num_classes-1``.

    Train mode: ``model(images, targets)`` returns the loss dict (``loss_classifier``,
    ``loss_box_reg``, ``loss_objectness``, ``loss_rpn_box_reg``). Eval mode:
    ``model(images)`` returns one ``{"boxes", "labels", "scores"}`` per image, boxes as
    ``x1, y1, x2, y2`` in the pixels of the image given (resizing is undone).
    """

    def forward(self, images: list[torch.Tensor], targets: list[dict[str, torch.Tensor]] | None = None) -> Any:  # type: ignore[override]
        if targets is not None:
            targets = [{**t, "labels": t["labels"] + 1} for t in targets]
        out = super().forward(images, targets)
        if isinstance(out, list):
            return [{**d, "labels": d["labels"] - 1} for d in out]
        return out


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def small_backbone(channels: int = 1, width: int = 64) -> nn.Sequential:
    """Four 3x3 conv blocks with two 2x2 poolings: one feature map at stride 4.

    Stride 4 keeps digits of 15-35 pixels several cells wide, which thin digits (a "1" is
    4-6 pixels wide) need for their anchors to match.
    """
    layers = _block(channels, 32) + [nn.MaxPool2d(2)] + _block(32, 64) + [nn.MaxPool2d(2)]
    layers += _block(64, width) + _block(width, width)
    backbone = nn.Sequential(*layers)
    backbone.out_channels = width  # FasterRCNN reads this
    return backbone


def digit_detector(num_classes: int = 10, channels: int = 1, image_size: int = 96,
                   mean: tuple[float, ...] = (0.1,), std: tuple[float, ...] = (0.3,),
                   backbone: str = "small", width: int = 64) -> Detector:
    """Faster R-CNN for small objects on small images (the ``detect-digits`` recipe).

    Args:
        num_classes: object classes, not counting background.
        channels: image channels (1 = grayscale).
        image_size: images are resized so their longer side is at most this and their
            shorter side this (torchvision's ``min_size``/``max_size``); boxes come back in
            the original pixels.
        mean, std: per-channel normalisation of [0, 1] pixels (done inside the model).
        backbone: ``small`` (a 4-block CNN, ~1M parameters in all) or ``mobilenet_v3``
            (torchvision's ``fasterrcnn_mobilenet_v3_large_320_fpn`` untrained, for RGB
            photos; ~19M parameters).
        width: channels of the small backbone's feature map.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}; got {backbone!r}")
    if len(mean) != channels or len(std) != channels:
        raise ValueError(f"mean and std need {channels} values (one per channel); got {mean}, {std}")
    common: dict[str, Any] = {
        "min_size": image_size, "max_size": image_size, "image_mean": list(mean), "image_std": list(std),
        "box_detections_per_img": 50,
    }
    if backbone == "mobilenet_v3":
        if channels != 3:
            raise ValueError(f"the mobilenet_v3 backbone takes RGB images (channels=3); got channels={channels}")
        from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_320_fpn

        reference = fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None,
                                                          num_classes=num_classes + 1)
        return Detector(reference.backbone, rpn_anchor_generator=reference.rpn.anchor_generator,
                        box_roi_pool=reference.roi_heads.box_roi_pool, box_head=reference.roi_heads.box_head,
                        box_predictor=reference.roi_heads.box_predictor, num_classes=None, **common)
    features = small_backbone(channels, width)
    # Anchor heights = size * sqrt(ratio): ratios up to 3.5 (height / width) fit a thin "1".
    anchors = AnchorGenerator(sizes=((12, 18, 26, 36),), aspect_ratios=((1.0, 2.0, 3.5),))
    roi_pool = MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2)
    return Detector(
        features, num_classes=None, rpn_anchor_generator=anchors, box_roi_pool=roi_pool,
        box_head=TwoMLPHead(width * 7 * 7, 256), box_predictor=FastRCNNPredictor(256, num_classes + 1),
        # Fewer proposals and sampled RoIs than torchvision's COCO defaults: a 96-pixel
        # canvas holds at most a handful of objects, and this is what makes CPU training fast.
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
        rpn_batch_size_per_image=128, box_batch_size_per_image=128, **common,
    )

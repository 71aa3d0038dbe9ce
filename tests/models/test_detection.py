"""The Faster R-CNN detector: label shifting, learning, and boxes that decode to image pixels."""

import pytest
import torch

from shendu.data.detection import canvas_bundle, detection_collate
from shendu.models.detection import Detector, digit_detector


@pytest.fixture(scope="module")
def canvases():
    return canvas_bundle(train=24, val=1, test=8)


def _batch(dataset, n):
    return detection_collate([dataset[i] for i in range(n)])


def test_detector_is_torchvision_faster_rcnn_with_state_dict_keys_unchanged():
    from torchvision.models.detection import FasterRCNN

    model = digit_detector()
    assert isinstance(model, FasterRCNN) and isinstance(model, Detector)
    assert {k.split(".")[0] for k in model.state_dict()} == {"backbone", "rpn", "roi_heads"}
    assert model.roi_heads.box_predictor.cls_score.out_features == 11  # 10 digits + background


def test_training_loss_falls_on_a_few_steps(canvases):
    torch.manual_seed(0)
    model = digit_detector().train()
    images, targets = _batch(canvases.train, 8)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        parts = model(images, targets)
        assert set(parts) == {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}
        loss = sum(parts.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.6 * losses[0], losses


def test_labels_go_in_and_come_out_from_zero(canvases):
    """Class 9 (the last) trains without an index error; detections use ids 0..9."""
    torch.manual_seed(0)
    model = digit_detector()
    images, targets = _batch(canvases.train, 4)
    targets = [{**t, "labels": torch.full_like(t["labels"], 9)} for t in targets]
    model.train()(images, targets)
    model.eval()
    with torch.no_grad():
        out = model(images)
    labels = torch.cat([d["labels"] for d in out])
    assert labels.numel() > 0 and labels.min() >= 0 and labels.max() <= 9


def test_box_coder_and_resizing_decode_back_to_the_image_pixels(canvases):
    """Targets survive encode/decode and the model's resize + postprocess (a 2x image gives 2x boxes)."""
    model = digit_detector(image_size=96).eval()
    image, target = canvases.train[0]
    proposals = target["boxes"] + torch.tensor([2.0, -1.0, 3.0, 1.5])
    codes = model.roi_heads.box_coder.encode_single(target["boxes"], proposals)
    decoded = model.roi_heads.box_coder.decode_single(codes, proposals)
    assert torch.allclose(decoded, target["boxes"], atol=1e-3)

    big = torch.nn.functional.interpolate(image[None], scale_factor=2, mode="bilinear")[0]
    batch, resized = model.transform([big], [{"boxes": target["boxes"] * 2, "labels": target["labels"]}])
    assert batch.image_sizes == [(96, 96)]
    assert torch.allclose(resized[0]["boxes"], target["boxes"], atol=1e-4)  # 192 px -> 96 px
    back = model.transform.postprocess([{"boxes": resized[0]["boxes"], "labels": target["labels"],
                                         "scores": torch.ones(len(target["labels"]))}], batch.image_sizes, [(192, 192)])
    assert torch.allclose(back[0]["boxes"], target["boxes"] * 2, atol=1e-3)


def test_eval_boxes_lie_inside_the_image(canvases):
    torch.manual_seed(0)
    model = digit_detector().eval()
    images, _ = _batch(canvases.test, 4)
    with torch.no_grad():
        for image, detection in zip(images, model(images), strict=True):
            boxes = detection["boxes"]
            assert boxes.shape[1] == 4 and (boxes[:, 2] >= boxes[:, 0]).all() and (boxes[:, 3] >= boxes[:, 1]).all()
            assert boxes.min() >= 0 and boxes[:, [0, 2]].max() <= image.shape[2] and boxes[:, [1, 3]].max() <= image.shape[1]
            assert (detection["scores"][:-1] >= detection["scores"][1:]).all()


def test_mobilenet_backbone_trains_one_step_on_rgb():
    torch.manual_seed(0)
    model = digit_detector(channels=3, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25), backbone="mobilenet_v3",
                           image_size=128).train()
    images = [torch.rand(3, 100, 120)]
    targets = [{"boxes": torch.tensor([[10.0, 10.0, 40.0, 50.0]]), "labels": torch.tensor([3])}]
    loss = sum(model(images, targets).values())
    loss.backward()
    assert torch.isfinite(loss)


@pytest.mark.parametrize("kwargs, message", [
    ({"backbone": "vgg"}, "backbone must be one of"),
    ({"channels": 3}, "one per channel"),
    ({"backbone": "mobilenet_v3"}, "RGB"),
])
def test_bad_detector_settings_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        digit_detector(**kwargs)

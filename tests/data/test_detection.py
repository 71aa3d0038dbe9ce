import json

import numpy as np
import pytest
import torch
from PIL import Image

from shendu.data.detection import load_coco_detection, make_digit_canvases
from shendu.errors import DataError


def test_canvases_have_exact_boxes_and_are_reproducible(mnist_sample):
    digits, labels = mnist_sample
    a = make_digit_canvases(digits[:500], labels[:500], count=20, seed=3)
    b = make_digit_canvases(digits[:500], labels[:500], count=20, seed=3)
    assert np.array_equal(a.images, b.images) and all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes, strict=True))
    for image, boxes, classes in zip(a.images, a.boxes, a.labels, strict=True):
        assert 2 <= len(boxes) <= 4 and len(classes) == len(boxes) and set(classes) <= set(range(10))
        outside = image.copy()
        for x1, y1, x2, y2 in boxes.astype(int):
            crop = image[y1:y2, x1:x2]
            # tight: ink touches every edge of the box
            assert crop[0].any() and crop[-1].any() and crop[:, 0].any() and crop[:, -1].any()
            outside[y1:y2, x1:x2] = 0
        assert not outside.any()  # no ink outside the boxes


def _coco(tmp_path, bbox):
    Image.new("L", (40, 30)).save(tmp_path / "a.png")
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "categories": [{"id": 7, "name": "seven"}],
        "annotations": [{"id": 5, "image_id": 1, "category_id": 7, "bbox": bbox}],
    }))
    return path


def test_coco_reader_converts_boxes_and_rejects_boxes_outside_the_image(tmp_path):
    paths, boxes, labels, names = load_coco_detection(_coco(tmp_path, [2, 3, 10, 20]), tmp_path)
    assert names == ["seven"] and labels[0].tolist() == [0]
    assert boxes[0].tolist() == [[2, 3, 12, 23]]
    with pytest.raises(DataError, match=r"bbox .* is not inside its 40x30 image a.png"):
        load_coco_detection(_coco(tmp_path, [35, 3, 10, 20]), tmp_path)
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(DataError, match="must be COCO-style JSON"):
        load_coco_detection(tmp_path / "bad.json", tmp_path)


def test_canvas_bundle_pastes_each_split_from_its_own_digits():
    from shendu.data.detection import canvas_bundle, detection_collate
    from shendu.data.mnist import load_mnist_sample
    from shendu.data.splits import stratified_split

    bundle = canvas_bundle(train=6, val=2, test=5)
    assert bundle.sizes == {"train": 6, "val": 2, "test": 5} and bundle.labels == [str(d) for d in range(10)]
    assert bundle.input_spec.kind == "image" and bundle.input_spec.channels == 1
    image, target = bundle.test[0]
    assert image.shape == (1, 96, 96) and image.dtype == torch.float32 and 0 <= image.min() and image.max() <= 1
    assert target["boxes"].dtype == torch.float32 and target["labels"].dtype == torch.int64
    images, targets = detection_collate([bundle.test[i] for i in range(3)])
    assert len(images) == len(targets) == 3
    # the test canvases are exactly those pasted from the held-out (test) digits of mnist-cnn's split
    digits, labels = load_mnist_sample()
    split = stratified_split(labels, test_size=1000, val_size=500, seed=0)
    again = make_digit_canvases(digits[split.test], labels[split.test], 5, seed=2)
    for i in range(5):
        assert np.array_equal(again.images[i], (bundle.test[i][0][0] * 255).round().numpy().astype(np.uint8))
        assert np.array_equal(again.boxes[i], bundle.test[i][1]["boxes"].numpy())
    assert bundle.checksum == canvas_bundle(train=6, val=2, test=5).checksum


def _coco_folder(tmp_path, count=10, size=(64, 48)):
    tmp_path.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        Image.new("RGB", size, (i * 20, 100, 200)).save(tmp_path / f"im{i}.jpg")
        images.append({"id": i, "file_name": f"im{i}.jpg", "width": size[0], "height": size[1]})
        annotations.append({"id": 100 + i, "image_id": i, "category_id": 1 + i % 2, "bbox": [5, 6, 20, 30]})
    (tmp_path / "annotations.json").write_text(json.dumps({
        "images": images, "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}))
    return tmp_path


def test_coco_bundle_splits_images_and_reads_them_as_rgb(tmp_path):
    from shendu.data.detection import coco_bundle

    folder = _coco_folder(tmp_path)
    bundle = coco_bundle(folder, image_size=64)
    assert bundle.sizes == {"train": 7, "val": 1, "test": 2} and bundle.labels == ["cat", "dog"]
    image, target = bundle.train[0]
    assert image.shape == (3, 48, 64) and target["boxes"].tolist() == [[5.0, 6.0, 25.0, 36.0]]
    assert coco_bundle(folder / "annotations.json", image_size=64).checksum == bundle.checksum


def test_coco_bundle_errors_name_the_problem(tmp_path):
    from shendu.data.detection import coco_bundle

    folder = _coco_folder(tmp_path, count=2)
    with pytest.raises(DataError, match="needs at least 3"):
        coco_bundle(folder)
    folder = _coco_folder(tmp_path, count=4)
    (folder / "im2.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(DataError, match="im2.jpg, which is not a readable image"):
        coco_bundle(folder)
    with pytest.raises(DataError, match="is missing"):
        coco_bundle(tmp_path / "nowhere.json")

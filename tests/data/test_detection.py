import json

import numpy as np
import pytest
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

"""Image inputs of predict: every file checked before anything is predicted, each decoded only
when its turn comes and let go after (six 7000x7000 photos once took 4.5 GB to detect)."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from shendu.data.base import ImageSpec
from shendu.data.images import ImageFile, check_image, read_image
from shendu.errors import InputError
from shendu.predict.kinds.base import decoded, image_batch, read_images
from shendu.predict.kinds.detection import OBJECT_DETECTION

RGB = ImageSpec(channels=3, height=32, width=32, mean=(0.5,) * 3, std=(0.5,) * 3)


@pytest.fixture
def photos(tmp_path):
    paths = []
    for i in range(6):
        pixels = np.random.default_rng(i).integers(0, 255, (600, 800, 3), np.uint8)
        paths.append(tmp_path / f"photo{i}.png")
        Image.fromarray(pixels).save(paths[-1])
    return paths


@pytest.fixture
def decodes(monkeypatch):
    """Each image :meth:`ImageFile.open` decodes, as a weak reference: dead once it is let go."""
    seen: list[weakref.ref] = []
    original = ImageFile.open

    def spy(self):
        image = original(self)
        seen.append(weakref.ref(image))
        return image

    monkeypatch.setattr(ImageFile, "open", spy)
    return seen


def test_paths_are_checked_but_not_decoded(photos, decodes):
    named = read_images([photos[0], Image.new("L", (4, 4)), np.zeros((4, 4), np.uint8)])
    assert isinstance(named[0][1], ImageFile) and named[0][1].path == photos[0]
    assert isinstance(named[1][1], Image.Image) and isinstance(named[2][1], Image.Image)
    assert decodes == []
    assert np.array_equal(np.asarray(decoded(named[0][1])), np.asarray(read_image(photos[0])))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda data: data[: len(data) // 2], "could not be read as one"),
    (lambda data: data[:8] + b"\x00" * 40, "could not be read as one|no image format"),
    (lambda data: b"not an image", "no image format Pillow knows"),
])
def test_a_damaged_file_among_many_is_refused_before_any_is_decoded(photos, decodes, damage, message):
    photos[4].write_bytes(damage(photos[4].read_bytes()))
    with pytest.raises(InputError, match=message):
        read_images(photos)
    assert decodes == []


def test_check_image_refuses_what_read_image_refuses(tmp_path):
    from tests.data.test_coco import png_header

    (tmp_path / "huge.png").write_bytes(png_header(9000, 9000))
    for read in (check_image, read_image):
        with pytest.raises(InputError, match="huge.png is 9000x9000 pixels; images over 50,000,000 pixels are refused"):
            read(tmp_path / "huge.png")
        with pytest.raises(InputError, match="no such file"):
            read(tmp_path / "missing.png")


def _no_boxes(images):
    return [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64), "scores": torch.zeros(0)}
            for _ in images]


@pytest.mark.parametrize("save", [False, True])
def test_detection_holds_one_decoded_photo_at_a_time(photos, decodes, tmp_path, save):
    held = []

    def model(images):
        held.append(sum(ref() is not None for ref in decodes))  # photos alive while this one is predicted
        return _no_boxes(images)

    predictor = SimpleNamespace(model=model, labels=["digit"], input_spec=RGB)
    results = OBJECT_DETECTION.predict(predictor, photos, save_dir=tmp_path / "boxes" if save else None)
    assert [r.input for r in results] == [str(p) for p in photos]
    assert held == [1] * 6 and len(decodes) == 6
    assert all(ref() is None for ref in decodes)  # and none is kept after
    if save:
        assert sorted(p.name for p in (tmp_path / "boxes").iterdir()) == [f"photo{i}.boxes.png" for i in range(6)]


def test_classification_batches_decode_one_photo_at_a_time(photos, decodes):
    batch = image_batch([image for _, image in read_images(photos)], RGB)
    assert batch.shape == (6, 3, 32, 32) and len(decodes) == 6
    assert all(ref() is None for ref in decodes)

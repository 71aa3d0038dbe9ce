import numpy as np
import pytest
import torch
from PIL import Image

from shendu.data.base import ImageSpec
from shendu.data.images import image_to_tensor, read_image
from shendu.errors import InputError

SPEC = ImageSpec(channels=1, height=28, width=28, mean=(0.5,), std=(0.5,), invert="auto")


def test_dark_ink_on_white_paper_is_inverted_to_look_like_mnist(tmp_path):
    pixels = np.full((56, 56), 255, np.uint8)
    pixels[10:46, 26:30] = 0  # a black "1" on white
    path = tmp_path / "one.png"
    Image.fromarray(pixels).save(path)
    x = image_to_tensor(read_image(path), SPEC)
    assert x.shape == (1, 28, 28)
    raw = x * 0.5 + 0.5  # undo the normalisation
    assert float(raw[0, 0, 0]) == pytest.approx(0.0)
    assert float(raw[0, 14, 14]) > 0.8


def test_white_on_black_is_kept_and_rgb_alpha_is_flattened(tmp_path):
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[5:20, 10:15, :3] = 255
    path = tmp_path / "x.png"
    Image.fromarray(rgba, "RGBA").save(path)
    raw = image_to_tensor(read_image(path), SPEC) * 0.5 + 0.5
    assert torch.allclose(raw[0, 0], torch.zeros(28))
    assert float(raw[0, 10, 12]) == pytest.approx(1.0)


def test_non_image_and_missing_file_raise_input_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(InputError, match="no image format Pillow knows"):
        read_image(text)
    png = tmp_path / "cut.png"
    Image.new("L", (64, 64), 128).save(png)
    png.write_bytes(png.read_bytes()[:60])  # a real PNG, cut short: an image that cannot be decoded
    with pytest.raises(InputError, match="could not be read as one"):
        read_image(png)
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "absent.png")

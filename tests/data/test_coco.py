"""COCO-style annotation files from strangers: each bad entry refused with the file, the entry
and the field named; no image outside the annotations' folder is ever read."""

import json
import math
import os
import struct
import zlib

import pytest
from PIL import Image

from shendu.data import coco
from shendu.data.coco import load_coco_detection
from shendu.errors import DataError


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in its header and holds none."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def write_coco(folder, images=None, annotations=None, categories=None):
    """``folder/annotations.json`` over one 40x30 image ``a.png`` with one box, or the entries given."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("L", (40, 30)).save(folder / "a.png")
    document = {
        "images": images if images is not None else [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "categories": categories if categories is not None else [{"id": 7, "name": "seven"}],
        "annotations": annotations if annotations is not None else [
            {"id": 5, "image_id": 1, "category_id": 7, "bbox": [2, 3, 10, 20]}],
    }
    path = folder / "annotations.json"
    path.write_text(json.dumps(document))
    return path


def image_entry(**change):
    return {"id": 1, "file_name": "a.png", "width": 40, "height": 30, **change}


def box_entry(**change):
    return {"id": 5, "image_id": 1, "category_id": 7, "bbox": [2, 3, 10, 20], **change}


def test_a_good_file_loads(tmp_path):
    paths, boxes, labels, names = load_coco_detection(write_coco(tmp_path), tmp_path)
    assert paths == [tmp_path / "a.png"] and names == ["seven"]
    assert boxes[0].tolist() == [[2, 3, 12, 23]] and labels[0].tolist() == [0]


# -- file names that leave the folder ---------------------------------------------------------------


@pytest.fixture
def outside(tmp_path):
    """An image outside the annotations' folder, which must never be read."""
    path = tmp_path / "secret.png"
    Image.new("L", (40, 30)).save(path)
    return path


def test_an_absolute_file_name_is_refused(tmp_path, outside):
    path = write_coco(tmp_path / "data", images=[image_entry(file_name=str(outside))])
    # the name is quoted whole when short and cut with "..." when long (a deep temporary folder)
    with pytest.raises(DataError, match=r"images\[0\] `file_name` '/\S* is absolute; it must be relative"):
        load_coco_detection(path, path.parent)


@pytest.mark.parametrize("name", ["../secret.png", "sub/../../secret.png", "./../secret.png"])
def test_a_file_name_that_climbs_out_is_refused(tmp_path, outside, name):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    path = write_coco(tmp_path / "data", images=[image_entry(file_name=name)])
    with pytest.raises(DataError, match=r"images\[0\] `file_name` .* must name an image inside .* climbs out of it"):
        load_coco_detection(path, path.parent)


def test_a_file_name_that_climbs_out_and_back_in_is_read(tmp_path):
    path = write_coco(tmp_path / "data", images=[image_entry(file_name="../data/a.png")])
    assert len(load_coco_detection(path, path.parent)[0]) == 1


def test_symlinks_out_of_the_folder_are_refused(tmp_path, outside):
    folder = tmp_path / "data"
    path = write_coco(folder, images=[image_entry(file_name="link.png")])
    (folder / "link.png").symlink_to(outside)
    with pytest.raises(DataError, match=r"`file_name` 'link.png' must name an image inside .* symlink to .*secret.png"):
        load_coco_detection(path, folder)
    (folder / "shared").symlink_to(tmp_path, target_is_directory=True)  # a folder that leads out
    path = write_coco(folder, images=[image_entry(file_name="shared/secret.png")])
    with pytest.raises(DataError, match="leads through a symlink"):
        load_coco_detection(path, folder)


def test_symlinks_inside_the_folder_are_followed(tmp_path):
    folder = tmp_path / "data"
    path = write_coco(folder, images=[image_entry(file_name="link.png")])
    (folder / "link.png").symlink_to(folder / "a.png")
    assert len(load_coco_detection(path, folder)[0]) == 1


@pytest.mark.parametrize(("name", "message"), [
    ("gone.png", "but .*gone.png is no such file"),
    (".", "is a folder"),
    ("a\x00.png", "holds a NUL character"),
    ("x" * 5000, "File name too long"),
])
def test_file_names_of_no_image_are_refused(tmp_path, name, message):
    path = write_coco(tmp_path, images=[image_entry(file_name=name)])
    with pytest.raises(DataError, match=message):
        load_coco_detection(path, tmp_path)


# -- entries with a field missing or wrong: the file, the entry and the field named -----------------


@pytest.mark.parametrize(("images", "annotations", "categories", "fragments"), [
    ([{"id": 1, "file_name": "a.png", "height": 30}], None, None, ["images[0] lacks `width`"]),
    ([{"id": 1, "width": 40, "height": 30}], None, None, ["images[0] lacks `file_name`"]),
    ([{"file_name": "a.png", "width": 40, "height": 30}], None, None, ["images[0] lacks `id`"]),
    ([image_entry(width="40")], None, None, ["images[0] `width` must be a whole number of pixels", "'40'"]),
    ([image_entry(width=0)], None, None, ["images[0] `width` must be a whole number of pixels, at least 1"]),
    ([image_entry(height=30.5)], None, None, ["images[0] `height`"]),
    ([image_entry(id="1")], None, None, ["images[0] `id` must be a whole number"]),
    ([image_entry(id=True)], None, None, ["images[0] `id` must be a whole number"]),
    ([image_entry(file_name=3)], None, None, ["images[0] `file_name` must be a non-empty string"]),
    ([image_entry(file_name="")], None, None, ["images[0] `file_name` must be a non-empty string"]),
    ([image_entry(), image_entry()], None, None, ["images[1] has `id` 1, like images[0]"]),
    (["a.png"], None, None, ["images[0] must be a JSON object"]),
    (None, [{"id": 5, "category_id": 7, "bbox": [2, 3, 10, 20]}], None, ["annotations[0] (id 5) lacks `image_id`"]),
    (None, [box_entry(image_id=2)], None, ["annotations[0] (id 5) `image_id` is 2, which no entry of `images` has"]),
    (None, [box_entry(image_id=None)], None, ["annotations[0] (id 5) `image_id` must be a whole number"]),
    (None, [box_entry(category_id=8)], None, ["`category_id` is 8, which no entry of `categories` has"]),
    (None, [box_entry(category_id=[7])], None, ["`category_id` must be a whole number"]),
    (None, [box_entry(bbox=[2, 3, 10])], None, ["annotations[0] (id 5) `bbox` must be 4 numbers", "[2, 3, 10]"]),
    (None, [box_entry(bbox=[2, 3, 10, 20, 1])], None, ["`bbox` must be 4 numbers"]),
    (None, [box_entry(bbox="2 3 10 20")], None, ["`bbox` must be 4 numbers"]),
    (None, [box_entry(bbox=[2, 3, "10", 20])], None, ["`bbox` must be 4 numbers"]),
    (None, [box_entry(bbox=[2, 3, True, 20])], None, ["`bbox` must be 4 numbers"]),
    (None, [box_entry(bbox=[2, 3, math.nan, 20])], None, ["`bbox` must hold finite numbers", "nan"]),
    (None, [box_entry(bbox=[2, 3, math.inf, 20])], None, ["`bbox` must hold finite numbers", "inf"]),
    (None, [box_entry(bbox=[-2, 3, 10, 20])], None, ["bbox [x, y, width, height] = [-2, 3, 10, 20]", "not inside"]),
    (None, [box_entry(bbox=[2, 3, -10, 20])], None, ["not inside its 40x30 image a.png"]),
    (None, [box_entry(bbox=[2, 3, 0, 20])], None, ["not inside"]),
    (None, [box_entry(bbox=[35, 3, 10, 20])], None, ["not inside"]),
    (None, [{"image_id": 1, "category_id": 7}], None, ["annotations[0] lacks `bbox`"]),
    (None, None, [{"id": 7}], ["categories[0] lacks `name`"]),
    (None, None, [{"id": 7, "name": 7}], ["categories[0] `name` must be a non-empty string"]),
    (None, None, [{"id": 7, "name": "a"}, {"id": 7, "name": "b"}], ["categories[1] has `id` 7, like categories[0]"]),
    (None, None, [], ["`categories` is empty"]),
])
def test_bad_entries_name_the_file_the_entry_and_the_field(tmp_path, images, annotations, categories, fragments):
    path = write_coco(tmp_path, images, annotations, categories)
    with pytest.raises(DataError) as caught:
        load_coco_detection(path, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("document", "fragment"), [
    ([], "must be a JSON object with 'images'"),
    ({"images": [], "categories": []}, "`annotations` must be a list of JSON objects (COCO style); got none"),
    ({"images": {}, "categories": [], "annotations": []}, "`images` must be a list of JSON objects (COCO style); got a dict"),
])
def test_the_top_level_is_checked(tmp_path, document, fragment):
    (tmp_path / "annotations.json").write_text(json.dumps(document))
    with pytest.raises(DataError, match=None) as caught:
        load_coco_detection(tmp_path / "annotations.json", tmp_path)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"{oops", "it is not valid JSON"),
    (b"\xff\xfe{}", "must be UTF-8 JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nests lists or objects too deeply"),
    (b'{"images": [{"id": ' + b"9" * 5000 + b"}]}", "not valid JSON"),
])
def test_files_that_are_no_json_are_refused(tmp_path, content, fragment):
    (tmp_path / "annotations.json").write_bytes(content)
    with pytest.raises(DataError) as caught:
        load_coco_detection(tmp_path / "annotations.json", tmp_path)
    assert fragment in str(caught.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = write_coco(tmp_path)
    monkeypatch.setattr(coco, "MAX_ANNOTATIONS_BYTES", 100)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    with pytest.raises(DataError, match=r"annotations.json is \d+ bytes; files over 100 bytes are refused"):
        load_coco_detection(path, tmp_path)


# -- the images themselves: checked from their headers, never decoded -------------------------------


def test_an_image_of_another_size_than_the_json_says_is_refused(tmp_path):
    path = write_coco(tmp_path, images=[image_entry(width=41)])
    with pytest.raises(DataError, match="says a.png is 41x30 pixels, but it is 40x30"):
        load_coco_detection(path, tmp_path)


@pytest.mark.parametrize("side", [8000, 20000])
def test_a_huge_image_is_refused_from_its_header(tmp_path, side):
    path = write_coco(tmp_path, images=[image_entry(file_name="huge.png", width=side, height=side)])
    (tmp_path / "huge.png").write_bytes(png_header(side, side))
    with pytest.raises(DataError, match="huge.png, which is .*pixels are refused"):
        load_coco_detection(path, tmp_path)


def test_a_truncated_image_is_refused(tmp_path):
    path = write_coco(tmp_path)
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "a.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="a.png, which is not a readable image"):
        load_coco_detection(path, tmp_path)


def test_the_cli_refuses_a_file_name_outside_the_folder(tmp_path, outside):
    from tests.conftest import run_cli

    folder = tmp_path / "data"
    write_coco(folder, images=[image_entry(file_name="../secret.png")])
    runs = tmp_path / "runs"
    result = run_cli("train", "detect-digits", "--data", str(folder / "annotations.json"), "--out", str(runs),
                     "--no-progress")
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in output, output
    assert "climbs out of it with ../" in " ".join(output.split())
    assert not runs.exists() or not any(runs.iterdir())
    assert os.path.exists(outside)

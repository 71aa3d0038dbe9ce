"""detect-digits end to end through the CLI: train, report, evaluate, predict, COCO data, bad input."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import folder_digest, run_cli
from tests.data.test_detection import _coco_folder

TINY = ("--set", "train_canvases=64", "--set", "val_canvases=8", "--set", "test_canvases=8")


def test_run_folder_holds_a_detector_with_its_report(det_run):
    model = json.loads((det_run / "model.json").read_text())
    assert model["task"] == "object-detection" and model["factory"] == "shendu.models.detection:digit_detector"
    metrics = json.loads((det_run / "metrics.json").read_text())
    assert {"test_map_50", "test_map", "test_map_75", "test_ap_per_class"} <= set(metrics)
    assert metrics["test_samples"] == 8 and metrics["target"]["minimum"] == 0.9
    history = (det_run / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:3] == ["epoch", "train_loss", "train_loss_classifier"] and "val_map_50" in history[0]
    losses = [float(line.split(",")[1]) for line in history[1:]]
    assert losses[-1] < losses[0]  # it learns
    report = (det_run / "report.md").read_text()
    assert "test mAP@0.5" in report and "![detections](detections.png)" in report
    with Image.open(det_run / "detections.png") as picture:
        assert picture.width > 300


def test_evaluate_reproduces_the_saved_map(det_run):
    result = run_cli("evaluate", str(det_run))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "test_map" in line]
    assert rows and all("yes" in line for line in rows)


def test_predict_prints_boxes_and_writes_the_drawn_image(det_run, tmp_path):
    from shendu.data.detection import canvas_bundle

    canvas = canvas_bundle(train=1, val=1, test=1).test.images[0]
    Image.fromarray(255 - canvas).resize((192, 192)).save(tmp_path / "paper.png")  # dark ink on white, 2x
    result = run_cli("predict", str(det_run), str(tmp_path / "paper.png"), "--score-threshold", "0",
                     "--save-dir", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert item["input"].endswith("paper.png") and item["detections"]
    for found in item["detections"]:
        x1, y1, x2, y2 = found["box"]
        assert 0 <= x1 <= x2 <= 192 and 0 <= y1 <= y2 <= 192 and found["label"] in [str(d) for d in range(10)]
    with Image.open(item["image"]) as drawn:
        assert drawn.size == (192, 192) and drawn.mode == "RGB"
        pixels = np.asarray(drawn)
        assert ((pixels[..., 1] == 255) & (pixels[..., 0] == 0)).any()  # green boxes on the white page
        assert np.median(pixels) == 255  # drawn on the picture as given, not on the inverted model input


def test_predict_refuses_bad_input_without_writing(det_run, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    before = folder_digest(det_run)
    for args in (["notes.png"], ["missing.png"]):
        result = run_cli("predict", str(det_run), *args, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "must be an image file" in " ".join(result.stderr.split())
    result = run_cli("predict", str(det_run), "x.png", "--score-threshold", "2")
    assert result.returncode == 2 and "between 0 and 1" in result.stderr
    assert folder_digest(det_run) == before


def test_coco_json_user_data_trains_an_rgb_detector(tmp_path):
    folder = _coco_folder(tmp_path / "coco")
    result = run_cli("train", "detect-digits", "--data", str(folder / "annotations.json"), "--epochs", "1",
                     "--set", "image_size=64", "--batch-size", "4", "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    model = json.loads((run / "model.json").read_text())
    assert model["labels"] == ["cat", "dog"] and model["kwargs"]["channels"] == 3 and model["input"]["channels"] == 3
    assert "target" not in json.loads((run / "metrics.json").read_text())


@pytest.mark.parametrize("args, message", [
    (["--set", "backbone=mobilenet_v3"], "takes RGB images"),
    (["--set", "backbone=vgg"], "must be one of small, mobilenet_v3"),
    (["--engine", "scratch"], "--engine torch only"),
    (["--set", "train_canvases=0"], "train_canvases= must be at least 1"),
])
def test_bad_settings_fail_before_a_run_folder_exists(tmp_path, args, message):
    result = run_cli("train", "detect-digits", *args, "--out", str(tmp_path / "runs"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_coco_box_outside_its_image_fails_before_a_run_folder_exists(tmp_path):
    folder = _coco_folder(tmp_path / "coco", count=4)
    data = json.loads((folder / "annotations.json").read_text())
    data["annotations"][2]["bbox"] = [50, 6, 20, 30]  # x + width = 70 > 64
    (folder / "annotations.json").write_text(json.dumps(data))
    result = run_cli("train", "detect-digits", "--data", str(folder), "--out", str(tmp_path / "runs"))
    output = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in output
    assert "is not inside its 64x48 image im2.jpg" in output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_api_equals_cli(det_run, tmp_path):
    from shendu.data.detection import canvas_bundle
    from tests.predict.test_predictor import assert_api_matches_cli

    canvas = canvas_bundle(train=1, val=1, test=1).test.images[0]
    Image.fromarray(255 - canvas).save(tmp_path / "page.png")
    (item,) = assert_api_matches_cli(det_run, [tmp_path / "page.png"], "--score-threshold", "0.1", score_threshold=0.1)
    assert "image" not in item  # drawn only with --save-dir

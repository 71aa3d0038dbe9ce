import json
import shutil

import pytest
import torch

from shendu.data.folder import folder_bundle, scan_image_folder
from shendu.errors import DataError
from tests.conftest import run_cli


def test_small_cnn_learns_a_folder_of_shipped_digits(tmp_path, small_digit_folder):
    result = run_cli("train", "image-folder", "--data", str(small_digit_folder), "--epochs", "6",
                     "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_acc"] > 0.5  # chance is 0.1; the full folder reaches 97% (benchmarks)
    assert json.loads((run / "model.json").read_text())["labels"][3] == "digit_3"
    assert "No pretrained weights were used" in (run / "report.md").read_text()


def test_resnet18_without_pretrained_weights_says_why(tmp_path, small_digit_folder):
    result = run_cli("train", "image-folder", "--data", str(small_digit_folder), "--set", "model=resnet18",
                     "--weights", "none", "--epochs", "1", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    assert "`--weights none` was given" in (run / "report.md").read_text()


def test_weights_from_a_local_file_and_freeze_epochs(tmp_path, small_digit_folder):
    from safetensors.torch import save_file
    from torchvision.models import resnet18

    torch.manual_seed(0)
    backbone = resnet18(weights=None).state_dict()  # an "ImageNet" model with a 1000-class head
    path = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in backbone.items()}, path)
    result = run_cli("train", "image-folder", "--data", str(small_digit_folder), "--set", "model=resnet18",
                     "--weights", str(path), "--freeze-epochs", "1", "--epochs", "2", "--out", str(tmp_path / "r"),
                     "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "r").iterdir()
    assert "Backbone initialised from the weights file" in (run / "report.md").read_text()


def test_default_weights_offline_give_a_clear_error(tmp_path, small_digit_folder):
    cached = list((torch.hub.get_dir() and __import__("pathlib").Path(torch.hub.get_dir()) / "checkpoints").glob("resnet18*"))
    if cached:
        pytest.skip("ImageNet weights are cached on this machine")
    result = run_cli("train", "image-folder", "--data", str(small_digit_folder), "--set", "model=resnet18",
                     "--weights", "DEFAULT", "--out", str(tmp_path))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2 and "Traceback" not in output
    assert "not in the torch cache" in output and "--weights none" in output


def test_unreadable_files_are_skipped_and_empty_classes_refused(tmp_path, small_digit_folder, caplog):
    folder = tmp_path / "f"
    shutil.copytree(small_digit_folder, folder)
    (folder / "digit_1" / "notes.txt").write_text("not an image")
    (folder / "digit_2" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    bundle = folder_bundle(folder)
    assert sorted(p.rsplit("/", 1)[1] for p in bundle.extra["skipped"]) == ["broken.png", "notes.txt"]
    assert "skipping" in caplog.text and "notes.txt" in caplog.text
    assert sum(bundle.sizes.values()) == 200
    empty = folder / "digit_9"
    shutil.rmtree(empty)
    empty.mkdir()
    with pytest.raises(DataError, match="digit_9 has no readable image"):
        scan_image_folder(folder, 32)
    with pytest.raises(DataError, match="no such folder"):
        scan_image_folder(tmp_path / "nope", 32)

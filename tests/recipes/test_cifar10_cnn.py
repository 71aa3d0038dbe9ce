import json

import numpy as np
from PIL import Image

from tests.conftest import run_cli


def test_trains_end_to_end_on_cifar_format_files_and_predicts(tmp_path, cifar_dir):
    result = run_cli("train", "cifar10-cnn", "--data", str(cifar_dir), "--epochs", "3", "--set", "val_size=50",
                     "--set", "model=lenet", "--lr", "0.01", "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_samples"] == 100 and metrics["test_acc"] > 0.3  # chance is 0.1
    model = json.loads((run / "model.json").read_text())
    assert model["factory"] == "shendu.models.cifar:lenet" and model["labels"][1] == "automobile"
    image = np.zeros((32, 32, 3), np.uint8)
    image[8:24, 8:24] = (40, 230, 40)  # the fixture's "automobile" colour
    Image.fromarray(image).save(tmp_path / "green.png")
    predicted = run_cli("predict", str(run), str(tmp_path / "green.png"), "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert len(json.loads(predicted.stdout)[0]["top"]) == 3


def test_without_data_the_error_says_what_to_pass(tmp_path):
    result = run_cli("train", "cifar10-cnn", "--out", str(tmp_path))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2 and "Traceback" not in output and "needs `--data DIR`" in output

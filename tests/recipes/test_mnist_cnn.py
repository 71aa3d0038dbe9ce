import json

from shendu.recipes import RECIPES, get_recipe
from shendu.recipes.mnist_cnn import MnistCnnConfig
from tests.conftest import run_cli


def test_recipe_defaults_and_lookup():
    recipe = get_recipe("mnist-cnn")
    config = recipe.default_config()
    assert isinstance(config, MnistCnnConfig) and config.augment and config.data is None
    assert set(RECIPES) >= {"mnist-cnn", "digits-mlp"}


def test_one_epoch_on_the_shipped_sample_learns(tmp_path):
    result = run_cli("train", "mnist-cnn", "--epochs", "1", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test accuracy:" in result.stdout and "report:" in result.stdout
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_samples"] == 1000
    assert metrics["test_acc"] > 0.8  # chance is 0.1


def test_trains_on_mnist_idx_files_through_the_real_loader(tmp_path, mnist_idx_dir):
    result = run_cli("train", "mnist-cnn", "--data", str(mnist_idx_dir), "--epochs", "2", "--set", "val_size=200",
                     "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    env = json.loads((run / "env.json").read_text())
    assert "IDX files" in env["data"]["source"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_samples"] == 200 and metrics["test_acc"] > 0.5
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["data"] == str(mnist_idx_dir) and config["config"]["val_size"] == 200

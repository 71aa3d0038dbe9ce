import json

import pytest
import torch

from shendu.recipes import RECIPES, get_recipe
from shendu.recipes.mnist_cnn import MnistCnnConfig, make_task
from tests.conftest import run_cli


def test_recipe_defaults_and_lookup():
    recipe = get_recipe("mnist-cnn")
    config = recipe.default_config()
    assert isinstance(config, MnistCnnConfig) and config.augment and config.data is None
    assert set(RECIPES) >= {"mnist-cnn", "digits-mlp"}
    # issue 18's fast defaults: bf16 where the CPU has it, channels-last, label smoothing
    assert (config.precision, config.channels_last, config.label_smoothing) == ("auto", True, 0.1)


def test_label_smoothing_is_the_training_loss_and_checked():
    task = make_task(MnistCnnConfig(label_smoothing=0.2))
    logits, targets = torch.randn(16, 10), torch.randint(0, 10, (16,))
    expected = torch.nn.functional.cross_entropy(logits, targets, label_smoothing=0.2)
    torch.testing.assert_close(task.loss_fn(logits, targets), expected)
    with pytest.raises(ValueError, match=r"--set label_smoothing= must be in \[0, 1\); got 1.0"):
        MnistCnnConfig(label_smoothing=1.0).validate()


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


def test_the_readme_longer_run_changes_only_the_epochs():
    """README's `--set epochs=N` line (issue 18's route to the last tenth of a point): the
    default recipe with more epochs, nothing else."""
    import re
    import shlex

    from shendu.recipes.options import parse_sets, resolve_settings
    from tests.conftest import ROOT

    line = re.search(r"^shendu train mnist-cnn --set epochs=\S+", (ROOT / "README.md").read_text(), re.M).group(0)
    sets = parse_sets([shlex.split(line)[-1]], MnistCnnConfig)  # "epochs=N"
    recipe = get_recipe("mnist-cnn")
    defaults = recipe.default_config().to_dict()
    longer = recipe.config_from_dict(resolve_settings(defaults, sets=sets))
    longer.validate()
    assert longer.epochs > defaults["epochs"]
    assert {k: v for k, v in longer.to_dict().items() if v != defaults[k]} == {"epochs": longer.epochs}

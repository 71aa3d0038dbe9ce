"""--engine scratch writes the same run folder, loadable by the torch model."""

import json

from shendu import load as load_run
from shendu.predict.kinds.classification import evaluate_classifier
from shendu.recipes import get_recipe
from tests.conftest import run_cli


def test_scratch_engine_run_loads_into_torch_and_evaluates_identically(tmp_path):
    result = run_cli("train", "digits-mlp", "--engine", "scratch", "--epochs", "5", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert config["engine"] == "scratch" and metrics["engine"] == "scratch"
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 6
    first, last = (float(row.split(",")[1]) for row in (history[1], history[-1]))
    assert last < first * 0.5  # the scratch engine learns
    assert metrics["test_acc"] > 0.85
    # the same weights give the same accuracy in both engines
    assert abs(metrics["test_acc"] - metrics["scratch_test_acc"]) <= 1 / 360
    loaded = load_run(run)
    recipe = get_recipe("digits-mlp")
    task = recipe.make_task(recipe.config_from_dict(config["config"]))
    again = evaluate_classifier(loaded.model, task.data.test, 10)
    assert again["test_acc"] == metrics["test_acc"] and again["test_loss"] == metrics["test_loss"]
    assert {p.name for p in (run / "checkpoints").iterdir()} == {"best.safetensors", "last.safetensors"}
    resumed = run_cli("train", "--resume", str(run))
    assert resumed.returncode == 2 and "already complete" in resumed.stderr


def test_a_torch_run_loads_into_the_scratch_twin(digits_run):
    """The reverse direction: model.safetensors of a torch run, read with safetensors.numpy
    into the scratch model, gives the torch model's outputs."""
    import numpy as np
    import torch
    from safetensors.numpy import load_file

    from shendu import scratch
    from shendu.scratch import zoo

    loaded = load_run(digits_run)
    twin = zoo.digits_mlp(**loaded.spec.kwargs)
    twin.load_state_dict(load_file(digits_run / "model.safetensors"), strict=True)
    twin.eval()
    x = np.random.default_rng(0).standard_normal((16, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = loaded.model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(twin(scratch.Tensor(x)).data, expected, rtol=1e-4, atol=1e-5)

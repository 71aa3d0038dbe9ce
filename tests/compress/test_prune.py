"""`shendu compress --prune l1`: unstructured zeros checked against a numpy ranking of the parent's
weights, structured shrinking checked against the original model with the pruned channels
zeroed and against a hand count of parameters, fine-tuning that keeps the zeros, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import shendu
from shendu.compress.prune import prune_run
from shendu.compress.shrink import check_shrinkable, kept_units, shrink
from shendu.errors import ShenduError
from shendu.models.cifar import LeNet
from shendu.models.mlp import TwoLayerNet
from shendu.models.mnist import MNISTNet
from tests.conftest import folder_digest, run_cli
from tests.test_cli import assert_clear_error


def _trained(out: Path, *args: str) -> Path:
    result = run_cli("train", *args, "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


@pytest.fixture(scope="module")
def digits_parent(tmp_path_factory) -> Path:
    return _trained(tmp_path_factory.mktemp("digits-runs"), "digits-mlp", "--epochs", "3")


@pytest.fixture(scope="module")
def mnist_parent(tmp_path_factory, mnist_idx_dir) -> Path:
    """A narrow MNISTNet (4, 8, 16) trained one epoch on 900 real MNIST digits."""
    return _trained(tmp_path_factory.mktemp("mnist-runs"), "mnist-cnn", "--epochs", "1", "--set",
                    f"data={mnist_idx_dir}", "--set", "val_size=100", "--set", "conv1=4", "--set", "conv2=8",
                    "--set", "hidden=16")


def _weights(run: Path) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in shendu.load(run).model.state_dict().items()}


def _smallest(weights: dict[str, np.ndarray], amount: float) -> dict[str, set[int]]:
    """The independent reference for one global L1 threshold: rank |w| of all the layers
    together, take the round(amount * n) smallest, and say which flat indices of each layer they are."""
    flat = np.concatenate([np.abs(w).ravel() for w in weights.values()])
    chosen = np.sort(np.argsort(flat, kind="stable")[:round(amount * flat.size)])
    out, start = {}, 0
    for name, w in weights.items():
        out[name] = set((chosen[(chosen >= start) & (chosen < start + w.size)] - start).tolist())
        start += w.size
    return out


def _mnist_parameters(conv1: int, conv2: int, hidden: int, side: int = 12) -> int:
    """MNISTNet's parameters by hand: 3x3 convs on 1 channel, fc1 on conv2 x 12 x 12, fc2 to 10 classes."""
    return (conv1 * 9 + conv1) + (conv2 * conv1 * 9 + conv2) + (conv2 * side * side * hidden + hidden) + (hidden * 10 + 10)


def test_l1_zeros_exactly_the_smallest_weights_of_all_layers(digits_parent, tmp_path):
    amount = 0.3
    folder, metrics = prune_run(digits_parent, amount, out=tmp_path)
    before, after = _weights(digits_parent), _weights(folder.path)
    details = json.loads((folder.path / "model.json").read_text())["variant"]["details"]
    expected = _smallest({layer: before[f"{layer}.weight"] for layer in ("fc1", "fc2")}, amount)
    for layer in ("fc1", "fc2"):
        w0, w1 = before[f"{layer}.weight"], after[f"{layer}.weight"]
        assert set(np.flatnonzero(w1 == 0).tolist()) == expected[layer]
        kept = w1 != 0
        np.testing.assert_array_equal(w1[kept], w0[kept])  # no fine-tuning: the rest is untouched
        np.testing.assert_array_equal(after[f"{layer}.bias"], before[f"{layer}.bias"])
        assert details["sparsity"][layer] == pytest.approx(len(expected[layer]) / w0.size)
    total = sum(before[f"{k}.weight"].size for k in ("fc1", "fc2"))
    assert metrics["zero_weights"] == round(amount * total) == sum(len(v) for v in expected.values())
    assert metrics["sparsity"] == pytest.approx(amount, abs=1 / total)
    assert metrics["finetune_epochs"] == 0 and details["global"] is True
    spec = json.loads((folder.path / "model.json").read_text())
    assert spec["variant"]["method"] == "prune-l1" and spec["format"] == "torch"
    report = (folder.path / "report.md").read_text()
    share = len(expected["fc2"]) / before["fc2.weight"].size * 100
    assert "global_unstructured" in report and f"fc2 {share:.1f}% of 640" in report
    assert shendu.load(folder.path).evaluate().reproduced


def test_finetuning_keeps_the_zeros_and_moves_the_rest(digits_parent, tmp_path):
    amount = 0.6
    folder, metrics = prune_run(digits_parent, amount, finetune_epochs=1, out=tmp_path)
    before, after = _weights(digits_parent), _weights(folder.path)
    expected = _smallest({layer: before[f"{layer}.weight"] for layer in ("fc1", "fc2")}, amount)
    for layer in ("fc1", "fc2"):
        w0, w1 = before[f"{layer}.weight"], after[f"{layer}.weight"]
        assert set(np.flatnonzero(w1 == 0).tolist()) == expected[layer]
        assert not np.array_equal(w1[w1 != 0], w0[w1 != 0])  # trained
    details = json.loads((folder.path / "model.json").read_text())["variant"]["details"]
    assert details["finetune_lr"] == pytest.approx(1e-4)  # a tenth of digits-mlp's 1e-3
    assert len(details["finetune_train_loss"]) == 1 and metrics["finetune_epochs"] == 1
    assert "fine-tuned for 1 epoch" in (folder.path / "report.md").read_text()
    assert shendu.load(folder.path).evaluate().reproduced


def _zero_outputs(layer: torch.nn.Module, units: list[int]) -> None:
    with torch.no_grad():
        layer.weight[units] = 0
        layer.bias[units] = 0


def test_structured_mnist_net_equals_the_original_with_those_channels_zeroed():
    torch.manual_seed(0)
    model = MNISTNet(conv1=8, conv2=16, hidden=32).eval()
    # zero half of each layer's outputs (weights and bias): relu(0) = 0 feeds nothing on, so
    # removing exactly these channels must leave the outputs unchanged
    _zero_outputs(model.conv1, [0, 2, 3, 7])
    _zero_outputs(model.conv2, [1, 4, 5, 6, 9, 10, 12, 15])
    _zero_outputs(model.fc1, list(range(0, 32, 2)))
    kwargs = {"in_channels": 1, "num_classes": 10, "image_size": 28, "conv1": 8, "conv2": 16, "hidden": 32}
    shrunk = shrink(model, "shendu.models.mnist:mnist_net", kwargs, 0.5)
    assert shrunk.kwargs == {**kwargs, "conv1": 4, "conv2": 8, "hidden": 16}
    assert shrunk.widths == {"conv1": (8, 4), "conv2": (16, 8), "hidden": (32, 16)}
    np.testing.assert_array_equal(kept_units(model.conv1.weight, 0.5).numpy(), [1, 4, 5, 6])
    inputs = torch.randn(5, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(shrunk.model(inputs), model(inputs), rtol=1e-5, atol=1e-5)
    assert sum(p.numel() for p in shrunk.model.parameters()) == _mnist_parameters(4, 8, 16)


def test_structured_two_layer_net_equals_the_original_with_those_units_zeroed():
    torch.manual_seed(0)
    model = TwoLayerNet(64, 10, 10, activation="relu").eval()
    _zero_outputs(model.fc1, [0, 3, 9])
    shrunk = shrink(model, "shendu.models.mlp:digits_mlp", {"hidden": 10, "activation": "relu"}, 0.3)
    assert shrunk.kwargs["hidden"] == 7 and shrunk.widths == {"hidden": (10, 7)}
    inputs = torch.randn(4, 64)
    with torch.no_grad():
        torch.testing.assert_close(shrunk.model(inputs), model(inputs), rtol=1e-6, atol=1e-6)
    assert sum(p.numel() for p in shrunk.model.parameters()) == 64 * 7 + 7 + 7 * 10 + 10


def test_structured_pruning_names_the_unsupported_model():
    with pytest.raises(ShenduError, match="LeNet.*without --structured"):
        check_shrinkable(LeNet())


def test_cli_structured_mnist_run_is_a_smaller_mnist_net(mnist_parent, tmp_path):
    result = run_cli("compress", str(mnist_parent), "--prune", "l1", "--amount", "0.5", "--structured",
                     "--finetune-epochs", "1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (variant,) = tmp_path.iterdir()
    assert variant.name == f"{mnist_parent.name}-pruned50-structured"
    spec = json.loads((variant / "model.json").read_text())
    assert {k: spec["kwargs"][k] for k in ("conv1", "conv2", "hidden")} == {"conv1": 2, "conv2": 4, "hidden": 8}
    assert spec["num_parameters"] == _mnist_parameters(2, 4, 8)
    assert spec["variant"]["method"] == "prune-structured"
    assert spec["variant"]["details"]["widths"]["conv2"] == {"old": 8, "new": 4}
    settings = json.loads((variant / "config.json").read_text())["config"]  # config.json is true of the model too
    assert {k: settings[k] for k in ("conv1", "conv2", "hidden")} == {"conv1": 2, "conv2": 4, "hidden": 8}
    predictor = shendu.load(variant)
    assert isinstance(predictor.model, MNISTNet) and predictor.model.fc1.in_features == 4 * 12 * 12
    assert predictor.evaluate().reproduced
    report = (variant / "report.md").read_text()
    assert "conv1 4 -> 2, conv2 8 -> 4, hidden 16 -> 8" in report and "fine-tuned for 1 epoch" in report


@pytest.mark.parametrize(("args", "fragments"), [
    (["--amount", "1.5"], ["--amount", "between 0 and 1", "got 1.5"]),
    (["--amount", "0"], ["--amount", "got 0.0"]),
    (["--amount", "0.5", "--finetune-epochs", "-1"], ["--finetune-epochs", "0 or more", "got -1"]),
])
def test_bad_arguments_exit_2_and_write_nothing(digits_parent, args, fragments):
    before = folder_digest(digits_parent.parent)
    assert_clear_error(run_cli("compress", str(digits_parent), "--prune", "l1", *args), *fragments)
    assert folder_digest(digits_parent.parent) == before


def test_bad_parents_exit_2_and_write_nothing(digits_parent, tmp_path):
    from shendu.compress.commands import quantize_dynamic_run

    int8, _ = quantize_dynamic_run(digits_parent, out=tmp_path / "int8")
    incomplete = tmp_path / "incomplete" / "run"
    shutil.copytree(digits_parent, incomplete)
    (incomplete / "metrics.json").unlink()
    single = _trained(tmp_path / "xor", "xor", "--epochs", "2", "--set", "hidden=0")
    cases = [(int8.path, [], ["float32 torch run", "quantize-dynamic"]),
             (incomplete, [], ["not complete", "metrics.json"]),
             (single, ["--structured"], ["SingleLayerNet", "MNISTNet", "TwoLayerNet"])]
    for run, extra, fragments in cases:
        before = folder_digest(run.parent)
        assert_clear_error(run_cli("compress", str(run), "--prune", "l1", "--amount", "0.5", *extra), *fragments)
        assert folder_digest(run.parent) == before

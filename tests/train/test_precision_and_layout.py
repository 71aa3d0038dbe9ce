"""`--set precision=auto` and `--set channels_last=true`: what they choose and what they keep."""

import json

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from shendu.train.config import TrainConfig, resolved_precision
from tests.conftest import run_cli


@pytest.mark.parametrize("avx512_bf16, amx, expected", [
    (True, False, "bf16-mixed"), (False, True, "bf16-mixed"), (False, False, "32-true")])
def test_auto_is_bf16_mixed_only_on_a_cpu_that_computes_bfloat16(monkeypatch, avx512_bf16, amx, expected):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolved_precision("auto", "auto") == resolved_precision("auto", "cpu") == expected
    for chosen in ("32-true", "bf16-mixed"):  # a precision given by name is used as given
        assert resolved_precision(chosen, "cpu") == chosen


@pytest.mark.parametrize("bf16_gpu, expected", [(True, "bf16-mixed"), (False, "32-true")])
def test_auto_on_a_gpu_asks_the_gpu(monkeypatch, bf16_gpu, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16_gpu)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: not bf16_gpu)  # the CPU is not asked
    assert resolved_precision("auto", "auto") == expected


def test_the_scratch_engine_takes_auto_but_not_a_named_mixed_precision():
    TrainConfig(engine="scratch", precision="auto").validate()
    with pytest.raises(ValueError, match="is for --engine torch"):
        TrainConfig(engine="scratch", precision="bf16-mixed").validate()


def test_channels_last_trains_and_saves_ordinary_weights(tmp_path, mnist_idx_dir):
    """Only the memory layout differs (and so which activations dropout's mask hits: it is drawn in
    memory order): both layouts learn, and the saved tensors are plain contiguous float32 arrays
    of torch's shapes that `evaluate` reads back to the same metrics."""
    tiny = ["--data", str(mnist_idx_dir), "--epochs", "2", "--batch-size", "64", "--lr", "0.01", "--set", "val_size=100",
            "--set", "conv1=4", "--set", "conv2=8", "--set", "hidden=16", "--set", "precision=32-true", "--set",
            "baseline=false", "--no-progress"]
    weights, accuracy = {}, {}
    for layout in ("true", "false"):
        out = tmp_path / layout
        result = run_cli("train", "mnist-cnn", *tiny, "--set", f"channels_last={layout}", "--out", str(out))
        assert result.returncode == 0, result.stdout + result.stderr
        (run,) = out.iterdir()
        assert json.loads((run / "config.json").read_text())["config"]["channels_last"] == (layout == "true")
        weights[layout] = load_file(str(run / "model.safetensors"))
        accuracy[layout] = json.loads((run / "metrics.json").read_text())["test_acc"]
        if layout == "true":
            evaluated = run_cli("evaluate", str(run))
            assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    assert {name: a.shape for name, a in weights["true"].items()} == {name: a.shape for name, a in weights["false"].items()}
    assert weights["true"]["conv2.weight"].shape == (8, 4, 3, 3)  # (out, in, kH, kW), as torch saves them
    assert all(a.flags["C_CONTIGUOUS"] and a.dtype == np.float32 for a in weights["true"].values())
    # both learn (chance: 0.1); their accuracies are not compared: 2 epochs of a 16-unit net with
    # dropout masks drawn in a different memory order land 0.1-0.15 apart from run to run
    assert min(accuracy.values()) > 0.3, accuracy

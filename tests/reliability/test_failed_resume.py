"""A --resume that cannot work fails before it writes anything: exit 2, one paragraph, and the
run folder byte for byte as it was (no new env.json, no new TensorBoard file)."""

from __future__ import annotations

import json
import random
import shutil
import signal
from pathlib import Path

import pytest
import torch

from shendu.errors import EXIT_INTERRUPTED
from tests.conftest import folder_digest, run_cli


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory) -> Path:
    """A digits-mlp run stopped by SIGTERM in its second epoch (checkpoint of step 25)."""
    from shendu.train import fit as fit_module
    from tests.reliability.conftest import SignalAt

    original = fit_module.build_trainer

    def build(*args, **kwargs):
        trainer = original(*args, **kwargs)
        trainer.callbacks.insert(0, SignalAt(signal.SIGTERM, step=25))
        return trainer

    fit_module.build_trainer = build
    try:
        out = tmp_path_factory.mktemp("stopped")
        result = run_cli("train", "digits-mlp", "--epochs", "3", "--batch-size", "64", "--out", str(out), "--no-progress")
    finally:
        fit_module.build_trainer = original
    assert result.returncode == EXIT_INTERRUPTED, result.stderr
    (run,) = out.iterdir()
    return run


@pytest.fixture
def run(stopped_run, tmp_path) -> Path:
    copy = tmp_path / stopped_run.name
    shutil.copytree(stopped_run, copy)
    return copy


def resume_fails(run: Path, *extra: str) -> str:
    before = folder_digest(run)
    result = run_cli("train", "--resume", str(run), "--no-progress", *extra)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error:")
    assert folder_digest(run) == before  # nothing written, nothing removed
    return " ".join(result.stderr.split())


def test_the_stopped_run_resumes(run):
    assert run_cli("train", "--resume", str(run), "--no-progress").returncode == 0
    assert (run / "metrics.json").exists()


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "garbage", "pickle"])
def test_a_damaged_checkpoint_is_refused_and_nothing_changes(run, damage):
    checkpoint = run / "checkpoints" / "last.ckpt"
    data = bytearray(checkpoint.read_bytes())
    rng = random.Random(damage)
    if damage == "empty":
        data = bytearray()
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "flipped":
        for _ in range(64):
            data[rng.randrange(len(data))] ^= 0xFF
    elif damage == "garbage":
        data = bytearray(rng.randbytes(4096))
    else:  # a pickle that would run code
        import pickle

        class Evil:
            def __reduce__(self):
                return (Path(run / "PWNED").touch, ())

        data = bytearray(pickle.dumps({"state_dict": Evil()}))
    checkpoint.write_bytes(bytes(data))
    message = resume_fails(run)
    assert f"checkpoint {checkpoint} is corrupt or not a shendu training checkpoint" in message
    assert "weights_only=False" not in message and "Delete it and train again" in message
    assert not (run / "PWNED").exists()
    if damage == "empty":
        assert "the file is empty" in message


@pytest.mark.parametrize(("key", "value", "shown"), [("epochs", 5, "epochs 3 -> 5"), ("hidden", 16, "hidden 64 -> 16"),
                                                     ("lr", 0.5, "lr ")])
def test_an_edited_config_is_named_and_nothing_changes(run, key, value, shown):
    config = json.loads((run / "config.json").read_text())
    config["config"][key] = value
    (run / "config.json").write_text(json.dumps(config))
    message = resume_fails(run)
    assert "differ from those of" in message and shown in message and "Restore config.json" in message


def test_an_option_that_changes_the_run_is_refused(run):
    message = resume_fails(run, "--epochs", "9")
    assert "epochs 3 -> 9" in message


def test_weights_that_do_not_fit_the_model_are_named(run):
    # a checkpoint from before configs were recorded in it: the weights' shapes still tell
    checkpoint_path = run / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    for state in checkpoint["callbacks"].values():
        state.pop("config", None)
    torch.save(checkpoint, checkpoint_path)
    config = json.loads((run / "config.json").read_text())
    config["config"]["hidden"] = 16
    (run / "config.json").write_text(json.dumps(config))
    message = resume_fails(run)
    assert "does not fit the model that config.json describes" in message
    assert "(64, 64) in the checkpoint, (16, 64) in the model" in message

import json
import os

import pytest
import torch

from shendu.errors import RunFolderError
from shendu.runfolder import RunFolder, atomic_write_bytes, sha256_file


def test_create_makes_unique_timestamped_folders(tmp_path):
    a = RunFolder.create(tmp_path, "mnist-cnn")
    b = RunFolder.create(tmp_path, "mnist-cnn")
    assert a.path != b.path
    assert a.path.name.startswith("mnist-cnn-") and a.path.is_dir() and b.path.is_dir()


def test_atomic_write_leaves_no_temporary_files_and_usual_permissions(tmp_path):
    target = tmp_path / "x.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "metrics.json"
    atomic_write_bytes(target, b"old")


    with pytest.raises(TypeError):
        atomic_write_bytes(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_weights_round_trip_and_checksum(tmp_path):
    run = RunFolder.create(tmp_path, "r")
    state = {"fc.weight": torch.randn(3, 4), "fc.bias": torch.zeros(3)}
    sha = run.save_weights(state, metadata={"recipe": "r"})
    assert sha == sha256_file(run.file("model.safetensors"))
    loaded = run.load_weights(expected_sha256=sha)
    assert set(loaded) == set(state)
    for key in state:
        assert torch.equal(loaded[key], state[key])


def test_corrupt_weights_are_reported(tmp_path):
    run = RunFolder.create(tmp_path, "r")
    sha = run.save_weights({"w": torch.ones(10)})
    data = bytearray(run.file("model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    run.file("model.safetensors").write_bytes(bytes(data))
    with pytest.raises(RunFolderError, match="corrupt or was replaced"):
        run.load_weights(expected_sha256=sha)
    run.file("model.safetensors").write_bytes(bytes(data[:20]))
    with pytest.raises(RunFolderError, match="must be a safetensors file"):
        run.load_weights()


def test_open_reports_missing_files_and_bad_json(tmp_path):
    with pytest.raises(RunFolderError, match="no such folder"):
        RunFolder.open(tmp_path / "nope")
    run = RunFolder.create(tmp_path, "r")
    with pytest.raises(RunFolderError, match="missing config.json, model.json, model.safetensors"):
        RunFolder.open(run.path)
    run.file("config.json").write_text("{not json")
    with pytest.raises(RunFolderError, match="could not be parsed"):
        run.read_json("config.json")
    run.write_json("config.json", {"recipe": "r"})
    assert json.loads(run.file("config.json").read_text()) == {"recipe": "r"}

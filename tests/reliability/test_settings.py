"""Bad settings fail before anything is written: exit 2, one paragraph, no half-made run folder."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli

BAD = [
    (["--devices", "abc"], "--devices must be auto or a whole number"),
    (["--devices", "0"], "--devices must be auto or a whole number"),
    (["--devices", "-1"], "--devices must be auto or a whole number"),
    (
        ["--set", "accelerator=tpu"],
        "--set accelerator= must be one of auto, cpu, gpu, cuda, mps; got 'tpu'",
    ),
    (["--set", "accelerator=gpu"], "needs a CUDA GPU"),
    (["--set", "num_workers=-1"], "--set num_workers= must be at least 0; got -1"),
    (["--set", "weight_decay=-1"], "--set weight_decay= must be at least 0; got -1"),
    (["--set", "weight_decay=inf"], "--set weight_decay= must be finite"),
    (["--set", "gradient_clip_val=-0.5"], "--set gradient_clip_val= must be at least 0"),
    (["--set", "plateau_factor=1.5"], "--set plateau_factor= must be between 0 and 1"),
    (["--set", "early_stopping_patience=-2"], "--set early_stopping_patience= must be at least 0"),
    (["--lr", "inf"], "--lr must be a positive, finite number"),
    (["--lr", "nan"], "--lr must be a positive, finite number"),
    (["--lr", "0"], "--lr must be a positive, finite number"),
    (["--set", "on_nonfinite=ignore"], "--set on_nonfinite= must be one of stop, skip"),
    (
        ["--engine", "scratch", "--set", "on_nonfinite=skip"],
        "on_nonfinite=skip is for --engine torch",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_setting_fails_before_any_folder_exists(tmp_path, args, message):
    out = tmp_path / "runs"
    result = run_cli("train", "digits-mlp", "--out", str(out), "--no-progress", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    assert not out.exists()


def test_out_naming_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    result = run_cli("train", "digits-mlp", "--epochs", "1", "--out", str(target), "--no-progress")
    assert result.returncode == 2 and "--out must be a folder" in " ".join(result.stderr.split())
    assert target.read_text() == "not a folder"


def test_out_that_cannot_be_created_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("x")  # (a read-only folder does the same, except for root)
    result = run_cli(
        "train",
        "digits-mlp",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "a-file" / "runs"),
        "--no-progress",
    )
    assert result.returncode == 2 and "cannot create the run folder" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("recipe", ["series-lstm", "multimodal"])
def test_a_recipe_without_a_scratch_twin_says_so_before_a_run_folder_exists(tmp_path, recipe):
    result = run_cli("train", recipe, "--engine", "scratch", "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"recipe {recipe} has no scratch-engine model; use --engine torch." in " ".join(result.stderr.split())
    assert not (tmp_path / "runs").exists()

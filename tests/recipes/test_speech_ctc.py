"""speech-ctc end to end through the CLI: synthesise, train, report, evaluate, predict, user folders."""

import json
import shutil
import subprocess

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng is not installed (make install installs it)")

SMALL = ("--set", "train_clips=400", "--set", "val_clips=40", "--set", "test_clips=40", "--set", "min_digits=1",
         "--set", "max_digits=3", "--set", "hidden_size=64", "--set", "mlp_dim=128")


def test_it_learns_to_transcribe_held_out_voices(speech_run):
    run, _ = speech_run
    metrics = json.loads((run / "metrics.json").read_text())
    history = (run / "history.csv").read_text().splitlines()
    losses = [float(line.split(",")[1]) for line in history[1:]]
    assert losses[-1] < 0.5 * losses[0]
    # 400 short clips: far from the recipe's target, but well past guessing
    assert metrics["test_cer"] < 0.3 and metrics["test_samples"] == 40
    assert {"test_wer", "test_wer_greedy", "test_cer_greedy"} <= set(metrics)
    assert metrics["target"]["maximum"] == 0.05
    report = (run / "report.md").read_text()
    assert "test word error rate" in report and "![transcripts](transcripts.png)" in report
    model = json.loads((run / "model.json").read_text())
    assert model["task"] == "speech-recognition" and model["input"]["alphabet"] == " efghinorstuvwxz"


def test_evaluate_and_predict(speech_run, tmp_path):
    run, _ = speech_run
    result = run_cli("evaluate", str(run))
    assert result.returncode == 0 and "test_wer" in result.stdout and " no " not in result.stdout
    clip = tmp_path / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+m4", "-w", str(clip), "seven two"], check=True)
    result = run_cli("predict", str(run), str(clip), "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert set(item) == {"input", "transcript", "greedy"} and set(item["transcript"]) <= set(" efghinorstuvwxz")
    (tmp_path / "notes.wav").write_text("not audio at all")
    bad = run_cli("predict", str(run), str(tmp_path / "notes.wav"))
    assert bad.returncode == 2 and "is not audio soundfile can read" in bad.stderr


def test_a_user_folder_of_wavs_with_transcripts(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    lines = []
    for i, text in enumerate(["yes", "no", "yes please", "no thanks", "maybe", "yes", "no", "maybe not"]):
        subprocess.run(["espeak-ng", "-w", str(folder / f"c{i}.wav"), text], check=True)
        lines.append(f"c{i}.wav\t{text.upper()}")
    (folder / "transcripts.tsv").write_text("\n".join(lines) + "\n")
    result = run_cli("train", "speech-ctc", "--data", str(folder), "--epochs", "1", "--out", str(tmp_path / "runs"),
                     "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert "target" not in metrics and metrics["test_samples"] == 1
    assert "wav folder" in (run / "report.md").read_text()
    (folder / "transcripts.tsv").write_text("c0.wav\tyes\nmissing.wav\tno\n")
    bad = run_cli("train", "speech-ctc", "--data", str(folder), "--out", str(tmp_path / "runs"), "--no-progress")
    assert bad.returncode == 2 and "lists missing.wav, which is not in" in bad.stderr


def test_api_equals_cli_and_reads_waveforms(speech_run, tmp_path):
    import shendu
    from shendu.data.speech import read_audio
    from tests.predict.test_predictor import assert_api_matches_cli

    run, _ = speech_run
    clip = tmp_path / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+f3", "-w", str(clip), "four nine"], check=True)
    (item,) = assert_api_matches_cli(run, [clip])
    predictor = shendu.load(run)
    waveform = read_audio(clip, 22050)  # another rate: resampled to the model's
    assert predictor.predict([(waveform, 22050)])[0].greedy.count(" ") == item["greedy"].count(" ")
    assert predictor.evaluate().reproduced

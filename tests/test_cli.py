"""The `shendu` command as a user runs it (in this process; in fresh ones where that matters)."""

from __future__ import annotations

import json
import shutil

import numpy as np
from PIL import Image

import shendu
from shendu.data.digits import load_digits_arrays
from shendu.data.splits import stratified_split
from tests.conftest import folder_digest, run_cli, run_cli_process


def assert_clear_error(result, *fragments: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert "error:" in output
    flat = " ".join(output.split())
    for fragment in fragments:
        assert fragment in flat, flat


def test_list_names_every_recipe_with_size_and_target():
    result = run_cli("list")
    assert result.returncode == 0, result.stderr
    for text in ("mnist-cnn", "digits-mlp", "1,199,882", "test_acc >= 0.985"):
        assert text in result.stdout


def test_python_dash_m_shows_help():
    result = run_cli_process("--help")
    assert result.returncode == 0 and "train" in result.stdout and "predict" in result.stdout


def test_list_and_help_answer_without_importing_torch():
    """`shendu list`, `--help` and `train RECIPE --help` read only declarations: no model is
    built and neither torch nor numpy is imported (they answer in a fraction of a second)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from shendu.cli import app\n"
        "for args in (['--help'], ['list'], ['train', '--help'], ['train', 'stock-lstm', '--help'],\n"
        "             ['train', 'imdb-minilm', '-h']):\n"
        "    try:\n"
        "        app(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('IMPORTED', sorted(m for m in ('torch', 'numpy', 'lightning', 'sklearn', 'PIL') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "IMPORTED []" in done.stdout, done.stdout[-300:]
    assert "--symbol" in done.stdout and "'MSFT'" in done.stdout and "22,566,146" in done.stdout


def test_trained_run_folder_holds_the_contract(digits_run):
    names = {p.name for p in digits_run.iterdir()}
    assert {"config.json", "model.json", "model.safetensors", "metrics.json", "history.csv",
            "curves.png", "report.md", "env.json", "checkpoints", "tb", "confusion.png", "misclassified.png"} <= names
    assert {p.name for p in (digits_run / "checkpoints").iterdir()} == {"best.ckpt", "last.ckpt"}
    assert any((digits_run / "tb").glob("events.out.tfevents.*"))
    metrics = json.loads((digits_run / "metrics.json").read_text())
    env = json.loads((digits_run / "env.json").read_text())
    assert len(env["data"]["sha256"]) == 64 and env["packages"]["torch"]
    assert env["cpu"]["torch_capability"] and set(env["cpu"]["flags"]) >= {"avx2", "avx512f", "avx512_bf16", "amx_tile"}
    history = (digits_run / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds" and len(history) == 9
    first, last = (dict(zip(history[0].split(","), row.split(","), strict=True)) for row in (history[1], history[-1]))
    assert float(last["train_loss"]) < float(first["train_loss"]) * 0.5  # learning happened
    assert metrics["test_acc"] > 0.85 and metrics["epochs_run"] == 8
    report = (digits_run / "report.md").read_text()
    assert "curves.png" in report and f"{metrics['test_acc'] * 100:.2f}%" in report
    assert "(confusion.png)" in report and "(misclassified.png)" in report


def test_evaluate_rebuilds_the_model_and_reproduces_metrics_exactly(digits_run):
    from shendu.predict.kinds.classification import evaluate_classifier
    from shendu.recipes import get_recipe

    loaded = shendu.load(digits_run)
    recipe = get_recipe(loaded.config.recipe)
    task = recipe.make_task(recipe.config_from_dict(loaded.config.config))
    again = evaluate_classifier(loaded.model, task.data.test, 10)
    saved = json.loads((digits_run / "metrics.json").read_text())
    assert again["test_acc"] == saved["test_acc"] and again["test_loss"] == saved["test_loss"]
    result = run_cli("evaluate", str(digits_run))
    assert result.returncode == 0, result.stderr
    assert " no " not in result.stdout and result.stdout.count("yes") == 7  # 3 of the model, 4 of its baselines


def test_predict_reads_a_drawn_digit_png(digits_run, tmp_path):
    images, labels = load_digits_arrays()
    test_index = stratified_split(labels, test_size=360, val_size=180, seed=0).test[:12]
    paths = []
    for i in test_index:
        ink = (255 - images[i] * 255).astype(np.uint8)  # dark ink on white paper, as people draw
        path = tmp_path / f"digit{i}_{labels[i]}.png"
        Image.fromarray(ink).resize((64, 64), Image.Resampling.NEAREST).save(path)
        paths.append(path)
    result = run_cli("predict", str(digits_run), *map(str, paths), "--json", "--top-k", "3")
    assert result.returncode == 0, result.stderr
    predictions = json.loads(result.stdout)
    assert len(predictions) == 12 and all(len(p["top"]) == 3 for p in predictions)
    for p in predictions:
        probs = [t["probability"] for t in p["top"]]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    # predict's image pipeline gives what the model says on the dataset's own tensors
    from shendu.data.digits import digits_bundle
    model = shendu.load(digits_run).model
    test = digits_bundle().test
    expected = [str(int(model(test[k][0][None]).argmax())) for k in range(12)]
    assert [p["top"][0]["label"] for p in predictions] == expected
    table = run_cli("predict", str(digits_run), str(paths[0]))
    assert table.returncode == 0 and "probability" in table.stdout


def test_info_describes_the_run(digits_run):
    result = run_cli("info", str(digits_run))
    assert result.returncode == 0, result.stderr
    assert "digits-mlp" in result.stdout and "complete" in result.stdout and "test_acc" in result.stdout


# -- bad input: a clear one-paragraph error, exit 2, no traceback, nothing damaged -------------


def test_unknown_recipe(tmp_path):
    assert_clear_error(run_cli("train", "mnist-cnm", "--out", str(tmp_path)),
                       "RECIPE must be one of", "'mnist-cnm'", "Did you mean 'mnist-cnn'")
    assert not any(tmp_path.iterdir())


def test_missing_data_folder(tmp_path):
    assert_clear_error(run_cli("train", "mnist-cnn", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)),
                       "--data` must be a folder with the MNIST IDX files", "no such folder")


def test_truncated_idx_file(tmp_path, mnist_idx_dir):
    data = tmp_path / "mnist"
    shutil.copytree(mnist_idx_dir, data)
    labels = data / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:500])
    assert_clear_error(run_cli("train", "mnist-cnn", "--data", str(data), "--out", str(tmp_path / "runs")),
                       "train-labels-idx1-ubyte is truncated", "must be 1008 bytes; got 500 bytes")
    assert not (tmp_path / "runs").exists()


def test_corrupt_weights_and_non_image_leave_the_run_untouched(digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    before = folder_digest(run)
    assert_clear_error(run_cli("predict", str(run), str(text)), "must be an image file", "notes.txt")
    weights = run / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    before = folder_digest(run)
    image = tmp_path / "x.png"
    Image.new("L", (8, 8)).save(image)
    assert_clear_error(run_cli("predict", str(run), str(image)), "model.safetensors is corrupt or was replaced")
    assert_clear_error(run_cli("evaluate", str(run)), "corrupt or was replaced")
    weights.write_bytes(b"garbage")
    assert_clear_error(run_cli("predict", str(run), str(image)), "corrupt or was replaced")
    assert folder_digest(run) | {"model.safetensors": bytes(data)} == before


def test_resume_of_a_complete_run_and_bad_settings(digits_run, tmp_path):
    assert_clear_error(run_cli("train", "--resume", str(digits_run)), "already complete")
    assert_clear_error(run_cli("train", "digits-mlp", "--epochs", "0", "--out", str(tmp_path)),
                       "--epochs must be at least 1; got 0")
    assert_clear_error(run_cli("train", "digits-mlp", "--set", "optimiser=adam", "--out", str(tmp_path)),
                       "--set takes KEY=VALUE")
    assert_clear_error(run_cli("train", "digits-mlp", "--data", str(tmp_path), "--out", str(tmp_path)),
                       "takes no --data")
    assert_clear_error(run_cli("predict", str(tmp_path / "nope"), "x.png"), "no such folder")


def test_two_devices_train_into_one_run_folder(tmp_path):
    """--devices 2 on the CPU: Lightning DDP (gloo) with two processes, one run folder."""
    result = run_cli_process("train", "digits-mlp", "--epochs", "2", "--devices", "2", "--set", "accelerator=cpu",
                     "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    assert result.stdout.count("report:") == 1
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 2


def test_bf16_mixed_precision_trains_float32_weights(tmp_path):
    """--set precision=bf16-mixed autocasts the layers (the run differs from float32 with the
    same seed) but keeps float32 weights, learns as well, and is recorded in config.json."""
    runs = {}
    for precision in ("32-true", "bf16-mixed"):
        result = run_cli("train", "digits-mlp", "--epochs", "3", "--seed", "5", "--set", f"precision={precision}",
                         "--out", str(tmp_path / precision), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        runs[precision] = next((tmp_path / precision).iterdir())
    full, mixed = runs["32-true"], runs["bf16-mixed"]
    assert json.loads((mixed / "config.json").read_text())["config"]["precision"] == "bf16-mixed"
    assert (full / "history.csv").read_text() != (mixed / "history.csv").read_text()
    from safetensors.numpy import load_file

    weights = load_file(str(mixed / "model.safetensors"))
    assert {w.dtype for w in weights.values()} == {np.dtype("float32")}
    accuracy = {p: json.loads((run / "metrics.json").read_text())["test_acc"] for p, run in runs.items()}
    assert accuracy["bf16-mixed"] > 0.85 and abs(accuracy["bf16-mixed"] - accuracy["32-true"]) < 0.05, accuracy


def test_bad_precision_is_refused_before_a_run_folder_exists(tmp_path):
    assert_clear_error(run_cli("train", "digits-mlp", "--set", "precision=fp8", "--out", str(tmp_path)),
                       "precision= must be one of 32-true, bf16-mixed, 16-mixed, auto; got 'fp8'")
    assert_clear_error(run_cli("train", "digits-mlp", "--set", "precision=16-mixed", "--set", "accelerator=cpu",
                               "--out", str(tmp_path)), "needs a CUDA GPU")
    assert_clear_error(run_cli("train", "digits-mlp", "--engine", "scratch", "--set", "precision=bf16-mixed",
                               "--out", str(tmp_path)), "is for --engine torch")
    assert not any(tmp_path.iterdir())


def test_resume_of_a_distillation_run_points_to_distill(tmp_path):
    """A distillation run resumed by `train` would lose its teacher: refused, with the command to use."""
    run = tmp_path / "mnist-cnn-distilled-20261202-010252"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"recipe": "mnist-cnn", "engine": "torch", "config": {}}))
    (run / "distill.json").write_text("{}")
    before = folder_digest(run)
    assert_clear_error(run_cli("train", "--resume", str(run)), "is a distillation run",
                       f"shendu distill --resume {run}")
    assert folder_digest(run) == before

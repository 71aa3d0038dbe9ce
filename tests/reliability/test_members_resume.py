"""reviews-zh's ensemble trains its members apart, each kept at its own best epoch: a run stopped by
SIGTERM after those copies were taken and resumed ends with the same weights, bit for bit, as the
run that was never stopped (the copies travel in last.ckpt)."""

import json
import signal

from shendu.errors import EXIT_INTERRUPTED
from tests.conftest import run_cli

TINY = ("--epochs", "4", "--lr", "0.05", "--set", "train_limit=300", "--set", "test_size=100", "--set", "val_size=60",
        "--set", "buckets=512", "--set", "bag_dim=8", "--set", "bag_hidden=8", "--set", "cnn_dim=8",
        "--set", "filters=4", "--set", "max_length=64", "--no-progress")


def test_a_resumed_run_keeps_each_members_best_epoch(tmp_path, signal_at):
    straight = tmp_path / "straight"
    assert run_cli("train", "reviews-zh", *TINY, "--out", str(straight)).returncode == 0
    (straight_run,) = straight.iterdir()

    signal_at(signal.SIGTERM, step=17)  # 5 steps an epoch: in epoch 4, after three epochs' copies
    out = tmp_path / "stopped"
    stopped = run_cli("train", "reviews-zh", *TINY, "--out", str(out))
    assert stopped.returncode == EXIT_INTERRUPTED, stopped.stderr
    (run,) = out.iterdir()
    signal_at(signal.SIGTERM, step=10**6)  # never
    resumed = run_cli("train", "--resume", str(run), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr

    assert (run / "model.safetensors").read_bytes() == (straight_run / "model.safetensors").read_bytes()
    metrics = [json.loads((r / "metrics.json").read_text()) for r in (run, straight_run)]
    assert metrics[0]["member_weights_epochs"] == metrics[1]["member_weights_epochs"]
    epochs = metrics[0]["member_weights_epochs"]
    assert set(epochs) == {"logistic", "fasttext", "cnn"} and min(epochs.values()) < 4  # a copy from before the stop

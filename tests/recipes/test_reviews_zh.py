"""reviews-zh's default model (n-gram logistic regression + fastText + TextCNN) on a tiny run:
what the run folder holds, predict against the model rebuilt by hand from the folder's files,
evaluate, the baseline in the report, --explain refused clearly, and its settings checked."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer

import shendu
from shendu.models.ngram import NgramCNNClassifier
from shendu.recipes.reviews_zh import RECIPE, ReviewsZhConfig
from tests.conftest import folder_digest, run_cli

TINY = ("--epochs", "1", "--set", "train_limit=300", "--set", "test_size=100", "--set", "val_size=60",
        "--set", "buckets=512", "--set", "bag_dim=8", "--set", "bag_hidden=8", "--set", "cnn_dim=8",
        "--set", "filters=4", "--set", "max_length=64")
TEXTS = ["质量还不错，很满意", "太差了，再也不买", "房间很干净，服务也好。Wifi 很快"]


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh")
    result = run_cli("train", "reviews-zh", *TINY, "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


def test_the_run_folder_names_the_ngram_model_and_the_baseline(zh_run):
    model = json.loads((zh_run / "model.json").read_text())
    assert model["factory"] == "shendu.models.ngram:ngram_cnn_classifier"
    assert model["kwargs"]["buckets"] == 512 and model["kwargs"]["max_n"] == 3
    assert model["input"]["tokenizer"] == "tokenizer.json" and model["task"] == "text-classification"
    files = {p.name for p in zh_run.iterdir()}
    assert not any(name.endswith((".pkl", ".pickle", ".pt")) for name in files)
    report = (zh_run / "report.md").read_text()
    assert "TF-IDF + logistic regression" in report and "character 1-3-grams" in report
    assert "TextCNN" in report and "86" in report  # the model and its target
    # the members trained apart, each kept at its own best epoch (of the one epoch run here)
    assert model["kwargs"]["train_apart"] is True and model["kwargs"]["member_dropout"] == 0.0
    metrics = json.loads((zh_run / "metrics.json").read_text())
    assert metrics["member_weights_epochs"] == {"logistic": 1, "fasttext": 1, "cnn": 1}
    assert "weights of each member from its best epoch: logistic 1, fasttext 1, cnn 1" in report
    assert "trained apart (`members=apart`)" in report


def test_predict_equals_the_model_rebuilt_by_hand_from_the_folder(zh_run):
    """The same probabilities from the folder's tokenizer.json, model.json and weights alone,
    tokenised one character per token and read through the model class directly."""
    predictions = shendu.load(zh_run).predict(TEXTS)
    spec = json.loads((zh_run / "model.json").read_text())
    model = NgramCNNClassifier(**spec["kwargs"])
    model.load_state_dict(load_file(zh_run / "model.safetensors"))
    model.eval()
    tokenizer = Tokenizer.from_file(str(zh_run / "tokenizer.json"))
    for text, prediction in zip(TEXTS, predictions, strict=True):
        encoding = tokenizer.encode(text, add_special_tokens=False)
        assert "质" not in text or len(encoding.tokens[0]) == 1  # one character per CJK token
        with torch.no_grad():
            expected = torch.softmax(model(torch.tensor([encoding.ids])), dim=1)[0].numpy()
        got = [prediction.probabilities[name] for name in spec["labels"]]
        np.testing.assert_allclose(got, expected, atol=2e-6)  # the predictor rounds to 6 places
        assert prediction.to_dict()["sentiment"] == spec["labels"][int(expected.argmax())]


def test_evaluate_reproduces_the_metrics_and_explain_is_refused(zh_run):
    result = run_cli("evaluate", str(zh_run))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "test_acc" in line or "test_loss" in line]
    assert len(rows) == 2 and all("yes" in line for line in rows)
    before = folder_digest(zh_run)
    result = run_cli("predict", str(zh_run), TEXTS[0], "--explain", "2")
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in message and "needs a model with attention" in message
    assert "model=lstm-attention" in message
    assert folder_digest(zh_run) == before


@pytest.mark.parametrize("setting, message", [("model=bilstm", "must be one of ngram-cnn, lstm-attention"),
                                              ("members=alone", "must be one of apart, together"),
                                              ("max_n=4", "must be 1, 2 or 3"), ("buckets=0", "at least 1")])
def test_bad_settings_are_refused(setting, message):
    key, value = setting.split("=")
    config = ReviewsZhConfig(**{key: int(value) if value.isdigit() else value})
    with pytest.raises(ValueError, match=message):
        config.validate()


def test_members_together_is_the_ensemble_of_before():
    together = RECIPE.model_kwargs(ReviewsZhConfig(members="together"), 50)
    assert together["train_apart"] is False and together["member_dropout"] == 0.67
    apart = RECIPE.model_kwargs(ReviewsZhConfig(), 50)
    assert apart["train_apart"] is True and apart["member_dropout"] == 0.0  # member dropout is for together
    old = ReviewsZhConfig().to_dict()
    del old["members"]  # a config.json written before the setting existed
    assert RECIPE.config_from_dict(old).members == "together"


def test_the_old_bilstm_stays_reachable():
    config = ReviewsZhConfig(model="lstm-attention")
    kwargs = RECIPE.model_kwargs(config, 50)
    assert kwargs["attention"] is True and kwargs["vocab_size"] == 50


def test_the_scratch_engine_asks_for_the_bilstm_before_a_run_folder_exists(tmp_path):
    result = run_cli("train", "reviews-zh", "--engine", "scratch", "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--set model=lstm-attention" in " ".join(result.stderr.split())
    assert not (tmp_path / "runs").exists()
    ReviewsZhConfig(engine="scratch", model="lstm-attention").validate()  # the twin the scratch engine trains


def test_a_distilled_ensemble_keeps_its_members_apart(zh_run, tmp_path):
    """`shendu distill TEACHER --student reviews-zh`: the student's members each learn from the
    teacher on their own and keep their own best epochs, as its baseline's do."""
    tiny = [item for pair in zip(TINY[2::2], TINY[3::2], strict=True) for item in pair]  # the --set pairs
    result = run_cli("distill", str(zh_run), "--student", "reviews-zh", "--set", "epochs=2", *tiny,
                     "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (student,) = tmp_path.glob("reviews-zh-distilled-*")
    (baseline,) = tmp_path.glob("reviews-zh-baseline-*")
    for run in (student, baseline):
        metrics = json.loads((run / "metrics.json").read_text())
        assert set(metrics["member_weights_epochs"]) == {"logistic", "fasttext", "cnn"}, run.name
        assert all(epoch in (1, 2) for epoch in metrics["member_weights_epochs"].values())
        columns = (run / "history.csv").read_text().splitlines()[0]
        assert "val_loss" in columns
    assert shendu.load(student).evaluate().reproduced

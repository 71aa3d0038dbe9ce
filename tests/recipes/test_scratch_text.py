"""The text recipes with ``--engine scratch``: a complete run folder that the torch predictor
loads and that predicts what the scratch model predicts, on a small CSV of reviews."""

import csv
import json

import numpy as np
import pytest

import shendu
from shendu.train.scratch_fit import length_batches
from tests.conftest import run_cli

POSITIVE = "great wonderful superb moving brilliant".split()
NEGATIVE = "awful boring dull terrible tedious".split()
FILLER = "the film plot actor scene story music camera script ending was and a it of".split()
# a model small enough to train in a second; reviews of 1 to 15 words, cut at 16 tokens
TINY = ("--set", "test_size=40", "--set", "val_size=40", "--set", "max_length=16", "--set", "vocab_size=400",
        "--set", "embedding_dim=16", "--set", "hidden_size=8", "--set", "dense=8", "--set", "d_model=16",
        "--set", "d_ff=16", "--set", "num_heads=2", "--set", "num_layers=1", "--set", "batch_size=16",
        "--set", "lr=0.02", "--no-progress")


def write_reviews(path, count=320, seed=0):
    """Reviews whose sentiment is one word among 0-13 neutral ones, labelled positive/negative."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(count):
            positive = i % 2 == 1
            words = [*rng.choice(FILLER, int(rng.integers(0, 14))), str(rng.choice(POSITIVE if positive else NEGATIVE)),
                     f"review{i}"]  # the last word keeps every review distinct (duplicates are dropped)
            rng.shuffle(words)
            writer.writerow([" ".join(words), "positive" if positive else "negative"])
    return path


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_reviews(tmp_path_factory.mktemp("reviews") / "reviews.csv")


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory, reviews):
    out = tmp_path_factory.mktemp("scratch-lstm")
    result = run_cli("train", "imdb-lstm", "--engine", "scratch", "--data", str(reviews), "--epochs", "6", *TINY,
                     "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


def scratch_predict(run, texts):
    """Class probabilities from the scratch twin, built from model.json and the run's weights,
    reading texts tokenised with the run's tokenizer (no torch model involved)."""
    from safetensors.numpy import load_file

    from shendu import scratch
    from shendu.data.tokenize import encode, load_tokenizer, pad_ids
    from shendu.scratch import zoo

    spec = json.loads((run / "model.json").read_text())
    model = getattr(zoo, spec["factory"].rsplit(":", 1)[1])(**spec["kwargs"]).eval()
    model.load_state_dict(load_file(run / "model.safetensors"), strict=True)
    ids = pad_ids(encode(load_tokenizer(run / "tokenizer.json"), texts, spec["input"]["max_length"])).numpy()
    with scratch.no_grad():
        return scratch.softmax(model(scratch.tensor(ids)), 1).numpy(), spec["labels"]


def test_the_scratch_run_folder_is_complete_and_the_model_learns(lstm_run):
    for name in ("config.json", "env.json", "history.csv", "metrics.json", "model.json", "model.safetensors",
                 "report.md", "tokenizer.json", "checkpoints/best.safetensors", "checkpoints/last.safetensors"):
        assert (lstm_run / name).is_file(), name
    assert json.loads((lstm_run / "config.json").read_text())["engine"] == "scratch"
    metrics = json.loads((lstm_run / "metrics.json").read_text())
    assert metrics["engine"] == "scratch" and metrics["test_samples"] == 40
    # torch's evaluation of the saved weights and the scratch engine's own agree
    assert metrics["test_acc"] == pytest.approx(metrics["scratch_test_acc"], abs=1e-6)
    assert metrics["test_loss"] == pytest.approx(metrics["scratch_test_loss"], abs=1e-5)
    assert metrics["test_acc"] >= 0.75, metrics  # chance is 0.5
    lines = (lstm_run / "history.csv").read_text().splitlines()[1:]
    losses = [float(line.split(",")[1]) for line in lines]
    assert losses[-1] < losses[0] * 0.85, losses


def test_the_torch_predictor_gives_the_scratch_models_labels(lstm_run):
    texts = ["great", "dull", "the plot was dull and tedious", "a wonderful film with superb music",
             "the film the plot the actor the scene the story the music the camera was brilliant",
             "it was awful, and the ending was boring", "never seen words"]
    predictions = shendu.load(lstm_run).predict(texts)
    probabilities, labels = scratch_predict(lstm_run, texts)
    assert [p.label for p in predictions] == [labels[i] for i in probabilities.argmax(axis=1)]
    expected = np.array([[p.probabilities[name] for name in labels] for p in predictions])
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)  # the predictor rounds to 6 places
    assert {p.label for p in predictions[:2]} == {"positive", "negative"}  # it reads the sentiment word


def test_imdb_transformer_trains_with_the_scratch_engine(tmp_path, reviews):
    result = run_cli("train", "imdb-transformer", "--engine", "scratch", "--data", str(reviews), "--epochs", "1", *TINY,
                     "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["engine"] == "scratch"
    assert metrics["test_loss"] == pytest.approx(metrics["scratch_test_loss"], abs=1e-5)
    texts = ["great", "the plot was dull and tedious"]
    predictions = shendu.load(run).predict(texts)
    probabilities, labels = scratch_predict(run, texts)
    np.testing.assert_allclose(probabilities, [[p.probabilities[n] for n in labels] for p in predictions], atol=1e-5)


@pytest.mark.parametrize("module, recipe, twin, settings", [
    ("imdb_lstm", "ATTENTION_RECIPE", "LSTMClassifier", {}),
    ("reviews_zh", "RECIPE", "LSTMClassifier", {"model": "lstm-attention"}),  # its default model has no twin
])
def test_the_attention_recipes_name_the_twin_of_their_model(reviews, module, recipe, twin, settings):
    """Their model is the one trained end to end above, with attention pooling (tested in tests/scratch)."""
    import importlib

    recipe = getattr(importlib.import_module(f"shendu.recipes.{module}"), recipe)
    config = recipe.config_cls(data=str(reviews), test_size=40, val_size=40, max_length=16, num_layers=1, **settings)
    task = recipe.make_task(config)
    model = task.scratch_factory(**task.model_kwargs)
    assert type(model).__name__ == twin and model.attention is not None
    assert list(model.state_dict()) == list(task.factory(**task.model_kwargs).state_dict())


def test_length_batches_hold_every_review_once_shortest_first():
    lengths = np.random.default_rng(0).integers(1, 50, 103).tolist()
    batches = length_batches(lengths, 16)
    assert [len(b) for b in batches] == [16] * 6 + [7]
    assert sorted(i for b in batches for i in b) == list(range(103))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths)

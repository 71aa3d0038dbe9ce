"""multimodal: captions tell the truth, the three models train independently, fusion wins."""

import json

import numpy as np
import pytest
import torch

from shendu.data.multimodal import PRIMES, caption, damage, multimodal_bundle
from shendu.data.speech import DIGITS
from shendu.models.multimodal import comparison_loss, multimodal_comparison
from tests.conftest import run_cli


def _consistent(text: str, digit: int) -> bool:
    word = {w: i for i, w in enumerate(DIGITS)}
    if text.startswith("either"):
        return digit in {word[w] for w in text.split() if w in word}
    if text.startswith("not a ") and "prime" not in text:
        return digit not in {word[w.strip(",")] for w in text.split() if w.strip(",") in word}
    return {"an even number": digit % 2 == 0, "an odd number": digit % 2 == 1,
            "a number below five": digit < 5, "a number of five or more": digit >= 5,
            "a prime number": digit in PRIMES, "not a prime number": digit not in PRIMES}[text]


def test_every_caption_is_true_and_damage_hides_half_the_image():
    rng = np.random.default_rng(0)
    for digit in range(10):
        for _ in range(50):
            text = caption(digit, rng)
            assert _consistent(text, digit), (text, digit)
    image = np.ones((8, 8), dtype=np.float32)
    damaged = damage(image, rng, noise=0.0)
    assert damaged.sum() == 32


def test_bundle_pairs_each_split_from_its_own_images():
    bundle = multimodal_bundle(per_image=2, test_size=100, val_size=50)
    assert bundle.sizes == {"train": 2 * (1797 - 150), "val": 100, "test": 200}
    x, y = bundle.test[0]
    assert x.shape == (bundle.input_spec.text_dim + 64,) and 0 <= int(y) < 10


def test_summed_loss_trains_each_model_as_if_alone():
    torch.manual_seed(0)
    model = multimodal_comparison(text_dim=5, image_dim=6, hidden_dim=8).eval()  # no dropout: same forward twice
    x, y = torch.randn(16, 11), torch.randint(0, 10, (16,))
    branches = model.branches(x)
    assert torch.equal(branches["fused"], model(x))
    loss = comparison_loss(branches, y)
    loss.backward()
    joint = {k: p.grad.clone() for k, p in model.named_parameters()}
    for name in ("fused", "image", "text"):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model.branch(name)(x), y).backward()
        for k, p in model.named_parameters():
            if k.startswith(name + "."):
                torch.testing.assert_close(p.grad, joint[k])
    assert all(k.split(".")[0] in ("fused", "image", "text") for k in model.state_dict())


@pytest.fixture(scope="module")
def multimodal_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mm")
    result = run_cli("train", "multimodal", "--epochs", "15", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = out.iterdir()
    return run


def test_fused_beats_both_single_modalities(multimodal_run):
    metrics = json.loads((multimodal_run / "metrics.json").read_text())
    assert metrics["test_acc"] > metrics["test_acc_image_only"] + 0.03
    assert metrics["test_acc_image_only"] > metrics["test_acc_text_only"] > 0.15  # the text alone narrows it down
    assert metrics["target"]["met"]
    report = (multimodal_run / "report.md").read_text()
    assert "test accuracy: image-only model" in report and "test accuracy: text-only model" in report
    model = json.loads((multimodal_run / "model.json").read_text())
    assert model["task"] == "multimodal-classification"


def test_predict_reads_an_image_file_with_its_caption(multimodal_run, tmp_path):
    from PIL import Image

    from shendu import load as load_run
    from shendu.data.digits import load_digits_arrays

    images, labels = load_digits_arrays()
    index = [5, 17, 42]
    paths = []
    for i in index:
        ink = (255 - np.round(images[i] * 255)).astype(np.uint8)  # dark ink on white paper, 4x larger
        paths.append(tmp_path / f"digit{i}.png")
        Image.fromarray(ink).resize((32, 32), Image.Resampling.NEAREST).save(paths[-1])
    result = run_cli("predict", str(multimodal_run), *map(str, paths), "--caption", "an even number", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    predictions = json.loads(result.stdout)
    # the same pairs built by hand: the caption's 1- and 2-grams set in the saved vocabulary, then the pixels
    vocabulary = json.loads((multimodal_run / "model.json").read_text())["input"]["text_vocabulary"]
    text = np.zeros(len(vocabulary), dtype=np.float32)
    for gram in ("an", "even", "number", "an even", "even number"):
        text[vocabulary.index(gram)] = 1
    pixels = np.round(images[index] * 255).reshape(len(index), -1).astype(np.float32) / 255
    x = torch.from_numpy(np.concatenate([np.tile(text, (len(index), 1)), pixels], axis=1))
    model = load_run(multimodal_run).model
    with torch.no_grad():
        fused = torch.softmax(model(x), dim=1)
        image_only = torch.softmax(model.branch("image")(x), dim=1)
    for p, f, im in zip(predictions, fused, image_only, strict=True):
        assert p["top"][0]["label"] == str(int(f.argmax()))
        assert abs(p["top"][0]["probability"] - float(f.max())) < 1e-4
        assert p["image_only"]["label"] == str(int(im.argmax())) and p["caption"] == "an even number"
        assert p["caption_words_known"] == 3 and "text_only" in p
    # the text-only model sees the same caption three times: the same answer each time
    assert len({json.dumps(p["text_only"]) for p in predictions}) == 1
    table = run_cli("predict", str(multimodal_run), str(paths[0]), "--caption", "either a zebra or a moon")
    assert table.returncode == 0 and "caption words the model knows: 3" in table.stdout  # either, a, or


def test_predict_refuses_pairs_it_cannot_read(multimodal_run, tmp_path):
    from PIL import Image

    image = tmp_path / "d.png"
    Image.new("L", (8, 8)).save(image)
    (tmp_path / "notes.txt").write_text("not an image")
    cases = [
        ((str(image),), "add --caption TEXT"),
        ((str(image), str(image), str(image), "--caption", "a", "--caption", "b"), "got 2 captions for 3 images"),
        ((str(image), "--caption", "  "), "a --caption is empty"),
        ((str(tmp_path / "notes.txt"), "--caption", "an odd number"), "notes.txt"),
    ]
    for args, message in cases:
        result = run_cli("predict", str(multimodal_run), *args)
        output = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 2 and "Traceback" not in output and message in output, output


def test_api_equals_cli_and_evaluate(multimodal_run, tmp_path):
    from PIL import Image

    import shendu
    from tests.predict.test_predictor import assert_api_matches_cli

    path = tmp_path / "d.png"
    Image.new("L", (8, 8), 255).save(path)
    assert_api_matches_cli(multimodal_run, [path], "--caption", "an odd number", caption=["an odd number"])
    assert shendu.load(multimodal_run).evaluate().reproduced

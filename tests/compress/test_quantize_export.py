"""int8 quantization, ONNX export and `shendu compare`: variant run folders that load, predict
and evaluate like any run, checked against the float32 torch model they came from."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

import shendu
from shendu.compress.onnx import export_onnx, max_difference
from shendu.compress.quantize import int8_encode, quantizable_weights
from shendu.predict.formats import (
    OnnxModule,
    int8_decode,
    quantize_dynamic_layers,
    quantized_layer_names,
)
from tests.conftest import folder_digest, run_cli


@pytest.fixture(scope="module")
def variants(digits_run, tmp_path_factory):
    """The digits run's int8, ONNX and ONNX-int8 variants, made once."""
    out = tmp_path_factory.mktemp("variants")
    made = {}
    for name, args in (("int8", ["compress", "--quantize", "dynamic"]), ("onnx", ["export"]),
                       ("onnx-int8", ["export", "--int8", "dynamic"]), ("static", ["compress", "--quantize", "static"])):
        result = run_cli(args[0], str(digits_run), *args[1:], "--out", str(out / name))
        assert result.returncode == 0, result.stdout + result.stderr
        (made[name],) = (out / name).iterdir()
    return made


@pytest.mark.parametrize("shape", [(5, 3), (17, 4, 3, 3), (1, 64), (300, 8)])
def test_int8_storage_rounds_each_row_to_its_scale(shape):
    generator = torch.Generator().manual_seed(len(shape))
    weight = torch.randn(shape, generator=generator) * torch.rand(shape[0], *([1] * (len(shape) - 1)), generator=generator)
    weight[0] = 0  # an all-zero row stays exactly zero
    stored = int8_encode({"w": weight, "b": torch.ones(3)}, ["w"])
    assert stored["w"].dtype == torch.int8 and stored["b"].dtype == torch.float32
    scale = weight.reshape(shape[0], -1).abs().amax(1) / 127
    decoded = int8_decode(stored)["w"]
    error = (decoded - weight).abs().reshape(shape[0], -1).amax(1)
    assert torch.all(error <= scale / 2 + 1e-7)
    assert torch.equal(decoded[0], torch.zeros_like(decoded[0]))
    assert set(int8_decode(stored)) == {"w", "b"}


def test_int8_variant_is_smaller_reproduces_its_metrics_and_predicts_like_the_cli(digits_run, variants, tmp_path):
    run = variants["int8"]
    spec = json.loads((run / "model.json").read_text())
    assert spec["format"] == "torch-int8" and spec["variant"]["method"] == "quantize-dynamic"
    assert spec["variant"]["backend"] == "torch.ao" and spec["variant"]["parent_weights_sha256"] == json.loads(
        (digits_run / "model.json").read_text())["weights_sha256"]
    assert (digits_run / "model.safetensors").stat().st_size / (run / "model.safetensors").stat().st_size > 3
    predictor = shendu.load(run)
    assert set(quantized_layer_names(predictor.model).values()) == {"DynamicQuantizedLinear"}
    evaluation = predictor.evaluate()
    assert evaluation.reproduced and evaluation.data_changed is False
    parent = json.loads((digits_run / "metrics.json").read_text())
    assert abs(evaluation.metrics["test_acc"] - parent["test_acc"]) <= 0.02
    from PIL import Image

    from shendu.data.digits import load_digits_arrays

    images, _ = load_digits_arrays()
    png = tmp_path / "digit.png"
    Image.fromarray((255 - np.round(images[3] * 255)).astype(np.uint8)).save(png)
    cli = run_cli("predict", str(run), str(png), "--json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == [r.to_dict() for r in predictor.predict([png])]
    report = (run / "report.md").read_text()
    assert "smaller on disk" in report and "DynamicQuantizedLinear" in report
    for name in ("config.json", "env.json"):  # what evaluate needs from the parent is copied
        assert (run / name).read_bytes() == (digits_run / name).read_bytes()


def test_onnx_variants_run_without_a_torch_model_and_match_it(digits_run, variants):
    parent = shendu.load(digits_run)
    accuracy = json.loads((digits_run / "metrics.json").read_text())["test_acc"]
    for name, tolerance in (("onnx", 1e-4), ("onnx-int8", 0.2), ("static", None)):
        predictor = shendu.load(variants[name])
        assert isinstance(predictor.model, OnnxModule) and not list(predictor.model.parameters())
        evaluation = predictor.evaluate()
        assert evaluation.reproduced and abs(evaluation.metrics["test_acc"] - accuracy) <= 0.05
        if tolerance is not None:  # static int8 is calibrated on real images: random ones fall outside its ranges
            x = torch.randn(7, 1, 8, 8)
            with torch.no_grad():
                assert float((predictor.model(x) - parent.model(x)).abs().max()) < tolerance
    metrics = json.loads((variants["onnx"] / "metrics.json").read_text())
    assert metrics["max_abs_difference_to_torch"] < 1e-4
    assert json.loads((variants["onnx"] / "model.json").read_text())["variant"]["details"]["opset"] == 17
    static = json.loads((variants["static"] / "model.json").read_text())["variant"]
    assert static["method"] == "quantize-static" and static["details"]["int8"] == "static" and variants["static"].name.endswith("-int8-static")


def test_text_models_export_with_a_dynamic_token_axis_and_quantize_embeddings():
    from shendu.models.text import lstm_classifier, transformer_classifier

    torch.manual_seed(0)
    for model in (lstm_classifier(vocab_size=300, bidirectional=True, attention=True).eval(),
                  lstm_classifier(vocab_size=300, bidirectional=True).eval(),  # last hidden state, as imdb-lstm
                  transformer_classifier(vocab_size=300, d_model=32, num_heads=4, d_ff=64, max_length=64).eval()):
        ids = torch.randint(1, 300, (2, 12))
        onnx_model = OnnxModule(export_onnx(model, ids, sequence_axis=True))
        batches = []
        for batch, length in ((1, 5), (4, 40), (3, 17)):
            b = torch.randint(1, 300, (batch, length))
            b[-1, length // 2:] = 0  # padding at the end of the last review
            batches.append(b)
        assert max_difference(model, onnx_model, batches) < 1e-4
    names = quantizable_weights(model, ["Linear", "Embedding"])
    assert "embedding.weight" in names and names["embedding.weight"] == "Embedding"
    quantized = quantize_dynamic_layers(model, ["Linear", "Embedding"])
    assert "QuantizedEmbedding" in quantized_layer_names(quantized).values()
    with torch.no_grad():
        assert torch.allclose(quantized(batches[1]), model(batches[1]), atol=0.1)


class _Lookups(torch.nn.Module):
    """Two embeddings read through index views, as BERT reads its token types
    (``zeros[:, :T].expand(B, T)``) and positions (``arange[:, :T]``)."""

    def __init__(self):
        super().__init__()
        self.words, self.types = torch.nn.Embedding(50, 8), torch.nn.Embedding(2, 8)
        self.register_buffer("type_ids", torch.zeros(1, 64, dtype=torch.long), persistent=False)

    def forward(self, ids):
        types = self.type_ids[:, : ids.shape[1]].expand(ids.shape[0], ids.shape[1])
        return self.words(ids) + self.types(types)


@pytest.mark.parametrize("seed", range(6))
def test_int8_embeddings_take_index_views_as_nn_embedding_does(seed):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = _Lookups().eval()
    quantized = quantize_dynamic_layers(model, ["Embedding"])
    assert list(quantized_layer_names(quantized).values()) == ["QuantizedEmbedding", "QuantizedEmbedding"]
    batch, length = (int(v) for v in torch.randint(1, 9, (2,), generator=generator))
    ids = torch.randint(0, 50, (batch, 2 * length), generator=generator)
    views = [ids, ids[:, ::2], ids.t().contiguous().t(), ids[:1].expand(batch, -1)]  # strided, transposed, expanded
    for view in views:
        with torch.no_grad():
            torch.testing.assert_close(quantized(view), model(view), atol=0.05, rtol=0)


def test_compare_measures_every_variant_on_the_same_split(digits_run, variants, tmp_path):
    result = run_cli("compare", str(digits_run), str(variants["int8"]), str(variants["onnx"]), "--calls", "5",
                     "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert [f["method"] for f in figures] == ["original", "quantize-dynamic", "onnx"]
    parent = json.loads((digits_run / "metrics.json").read_text())
    assert figures[0]["value"] == parent["test_acc"]
    for figure in figures:
        assert set(figure["latency_ms"]) == {"b1_t1", "b1_t2", "b32_t1", "b32_t2"}
        assert all(0 < cell["p50"] <= cell["p99"] for cell in figure["latency_ms"].values())
    # one sentence a variant, each on its own line in the terminal too (not an escaped "\\n")
    printed = [line for line in result.stdout.splitlines() if line.startswith("- `")]
    assert len(printed) == 2 and "\\n" not in result.stdout
    text = (tmp_path / "cmp" / "compare.md").read_text()
    assert "at batch 1 on 1 thread" in text and (tmp_path / "cmp" / "compare.png").stat().st_size > 1000


def test_bad_requests_exit_2_and_write_nothing(digits_run, variants, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    before = folder_digest(digits_run)
    for args, message in (
        (["compress", str(digits_run)], "one of --quantize dynamic|static or --prune l1"),
        (["compress", str(digits_run), "--quantize", "dynamic", "--prune", "l1"], "got both"),
        (["compress", str(digits_run), "--quantize", "float8"], "--quantize takes dynamic or static"),
        (["compress", str(digits_run), "--quantize", "dynamic", "--layers", "Conv2d"], "--layers takes some of"),
        (["compress", str(digits_run), "--quantize", "dynamic", "--layers", "LSTM"], "has no LSTM layer to quantize"),
        (["compress", str(variants["onnx"]), "--quantize", "dynamic"], "takes a float32 torch run"),
        (["export", str(digits_run), "--format", "tensorrt"], "--format takes onnx"),
        (["export", str(digits_run), "--int8", "float16"], "--int8 takes dynamic or static"),
    ):
        result = run_cli(*args, "--out", str(out))
        flat = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 2 and message in flat and "Traceback" not in flat, flat
    assert list(out.iterdir()) == [] and folder_digest(digits_run) == before


def test_an_incomplete_parent_or_a_replaced_onnx_file_is_refused(digits_run, variants, tmp_path):
    incomplete = tmp_path / "incomplete"
    shutil.copytree(digits_run, incomplete)
    (incomplete / "metrics.json").unlink()
    result = run_cli("export", str(incomplete), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "not complete" in result.stderr and not (tmp_path / "out").exists()
    tampered = tmp_path / "tampered"
    shutil.copytree(variants["onnx"], tampered)
    data = bytearray((tampered / "model.onnx").read_bytes())
    data[-1] ^= 1
    (tampered / "model.onnx").write_bytes(bytes(data))
    result = run_cli("evaluate", str(tampered))
    assert result.returncode == 2 and "model.onnx is corrupt or was replaced" in " ".join(result.stderr.split())


def test_a_hand_edited_format_is_a_clear_error(variants, tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(variants["int8"], edited)
    spec = json.loads((edited / "model.json").read_text())
    spec["format"] = "tflite"
    (edited / "model.json").write_text(json.dumps(spec))
    result = run_cli("predict", str(edited), "digit.png")
    assert result.returncode == 2 and "format 'tflite'" in result.stderr

"""`shendu explain`: the documents' own examples exactly, every calculator against torch on
generated cases, and the refusals of impossible shapes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from shendu.lab.explain.activations import ACTIVATIONS, explain_derivative
from shendu.lab.explain.conv import explain_conv
from shendu.lab.explain.neuron import explain_neuron
from shendu.lab.explain.numbers import ShapeError, fmt
from shendu.lab.explain.pool import explain_pool
from shendu.recipes import RECIPES
from shendu.recipes.text import FACTORIES
from tests.conftest import run_cli
from tests.test_cli import assert_clear_error

TORCH_ACTIVATIONS = {
    "identity": lambda x: x, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
    "leaky_relu": F.leaky_relu, "gelu": F.gelu, "softplus": F.softplus,
}
DOCUMENT_IMAGE, DOCUMENT_KERNEL = "1,2,3/4,5,6/7,8,9", "1,0/0,-1"


def explain_json(*args: str) -> dict:
    result = run_cli("explain", *args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


# -- the documents' examples ------------------------------------------------------------------


def test_the_documents_neuron_is_2_3_and_sigmoid_0_9089():
    args = ("neuron", "--inputs", "1,2,3", "--weights", "0.2,0.8,-0.5", "--bias", "2", "--activation", "sigmoid")
    shown = run_cli("explain", *args)
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.split())
    for step in ("1 × 0.2 = 0.2", "2 × 0.8 = 1.6", "3 × (-0.5) = -1.5", "0.2 + 1.6 - 1.5 + 2 = 2.3",
                 "1 / (1 + e^(-2.3)) = 0.9089"):
        assert step in flat, flat
    data = explain_json(*args)
    linear = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[0.2, 0.8, -0.5]], dtype=torch.float64))
        linear.bias.fill_(2.0)
        z = linear(torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64))
    assert data["z"] == pytest.approx(z.item(), abs=1e-12) and fmt(data["z"]) == "2.3"
    assert data["output"] == pytest.approx(torch.sigmoid(z).item(), abs=1e-12)
    assert round(data["output"], 4) == 0.9089


def test_the_documents_conv_exercise_gives_2x2_minus_fours_as_torch():
    shown = run_cli("explain", "conv", "--image", DOCUMENT_IMAGE, "--weights", DOCUMENT_KERNEL)
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.split())
    assert "floor((3 + 2×0 - 1×(2 - 1) - 1) / 1) + 1 = floor(1 / 1) + 1 = 1 + 1 = 2" in flat
    assert "1×1 + 2×0 + 4×0 + 5×(-1) = 1 + 0 + 0 - 5 = -4" in flat and "matches torch" in flat
    data = explain_json("conv", "--image", DOCUMENT_IMAGE, "--weights", DOCUMENT_KERNEL)
    expected = F.conv2d(torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3),
                        torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]], dtype=torch.float64))  # (1, 1, 2, 2)
    assert data["output_shape"] == [2, 2] and data["output"] == expected[0, 0].tolist() == [[-4.0, -4.0]] * 2
    assert [w["products"] for w in data["windows"]][0] == [1.0, 0.0, 0.0, -5.0]
    assert data["torch"]["matches"] and data["torch"]["max_difference"] == 0


def test_conv_output_size_alone_and_rectangular():
    data = explain_json("conv", "--size", "3", "--kernel", "2", "--stride", "1", "--padding", "0")
    assert data["output_shape"] == [2, 2] and data["output"] is None and data["torch"]["matches"]
    data = explain_json("conv", "--size", "28x32", "--kernel", "5x3", "--stride", "2", "--padding", "1x2",
                        "--dilation", "2")
    shape = F.conv2d(torch.zeros(1, 1, 28, 32), torch.zeros(1, 1, 5, 3), stride=2, padding=(1, 2), dilation=2).shape
    assert tuple(data["output_shape"]) == tuple(shape[-2:]) == (11, 16)
    assert data["sides"][1]["steps"] == "floor((32 + 2×2 - 2×(3 - 1) - 1) / 2) + 1 = floor(31 / 2) + 1 = 15 + 1 = 16"


def test_pool_with_numbers_matches_torch():
    image = "1,2,3,4/5,6,7,8/9,10,11,12/13,14,15,16"
    tensor = torch.arange(1.0, 17.0, dtype=torch.float64).reshape(1, 1, 4, 4)
    data = explain_json("pool", "--image", image, "--kernel", "2", "--mode", "max")
    assert data["stride"] == [2, 2] and data["output"] == F.max_pool2d(tensor, 2)[0, 0].tolist() == [[6, 8], [14, 16]]
    data = explain_json("pool", "--image", image, "--kernel", "2", "--mode", "avg", "--padding", "1")
    assert data["output"] == F.avg_pool2d(tensor, 2, padding=1)[0, 0].tolist() and data["torch"]["matches"]
    assert data["windows"][0]["steps"] == "(0 + 0 + 0 + 1) / 4 = 0.25"


# -- generated cases against torch -----------------------------------------------------------


def _points(rng: np.random.Generator, count: int) -> list[float]:
    """Points over [-6, 6] and a few far out, none within 1e-3 of a kink (0) or softplus's 20."""
    points = [*rng.uniform(-6, 6, count), *rng.uniform(-30, 30, 8)]
    return [float(x) for x in points if abs(x) > 1e-3 and abs(x - 20) > 1e-3]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_analytic_equals_finite_difference_and_torch_autograd(name):
    rng = np.random.default_rng(17)
    for x in _points(rng, 40):
        e = explain_derivative(name, x)
        assert e.difference < 1e-6, (name, x, e)
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        y = TORCH_ACTIVATIONS[name](t)
        y.backward()
        assert e.value == pytest.approx(y.item(), rel=1e-12, abs=1e-12), (name, x)
        assert e.derivative == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12), (name, x)


def test_derivative_at_the_kink_is_torchs_and_says_so():
    for name, torch_fn in (("relu", torch.relu), ("leaky_relu", F.leaky_relu)):
        t = torch.zeros((), dtype=torch.float64, requires_grad=True)
        torch_fn(t).backward()
        data = explain_json("derivative", name, "--at", "0")
        assert data["derivative"] == t.grad.item() and data["at_kink"] and "torch" in data["note"]
    shown = run_cli("explain", "derivative", "relu", "--at", "0")
    assert "torch's autograd returns 0" in " ".join(shown.stdout.split())
    data = explain_json("derivative", "sigmoid", "--at", "2.3")
    assert data["derivative_steps"] == "0.9089 × (1 - 0.9089) = 0.0828" and data["difference"] < 1e-9
    data = explain_json("activation", "tanh", "--at", "-0.5", "--h", "1e-4")
    assert data["value"] == pytest.approx(math.tanh(-0.5)) and data["h"] == 1e-4


def test_neuron_with_every_activation_equals_torch_on_generated_inputs():
    rng = np.random.default_rng(3)
    for name in ACTIVATIONS:
        for size in (1, 2, 5):
            x, w, b = rng.normal(size=size), rng.normal(size=size), float(rng.normal())
            e = explain_neuron(x.tolist(), w.tolist(), b, name)
            z = F.linear(torch.tensor(x)[None], torch.tensor(w)[None], torch.tensor([b], dtype=torch.float64))  # (1, 1)
            assert e.z == pytest.approx(z.item(), abs=1e-12)
            assert e.output == pytest.approx(TORCH_ACTIVATIONS[name](z).item(), rel=1e-12, abs=1e-12)


def _geometries(rng: np.random.Generator, count: int):
    for _ in range(count):
        size = tuple(int(v) for v in rng.integers(1, 9, 2))
        kernel = tuple(int(v) for v in rng.integers(1, 5, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        padding = tuple(int(v) for v in rng.integers(0, 3, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        yield size, kernel, stride, padding, dilation


def test_conv_sizes_and_values_equal_torch_over_generated_geometries():
    rng = np.random.default_rng(0)
    accepted = refused = 0
    for size, kernel, stride, padding, dilation in _geometries(rng, 150):
        image, weights = rng.normal(size=size), rng.normal(size=kernel)
        bias = float(rng.normal())
        try:
            expected = F.conv2d(torch.tensor(image)[None, None], torch.tensor(weights)[None, None],
                                torch.tensor([bias], dtype=torch.float64), stride=stride, padding=padding, dilation=dilation)
        except RuntimeError:
            with pytest.raises(ShapeError, match="does not fit"):
                explain_conv(size, kernel, stride, padding, dilation, check=False)
            refused += 1
            continue
        accepted += 1
        alone = explain_conv(size, kernel, stride, padding, dilation, check=False)
        assert alone.output_shape == tuple(expected.shape[-2:]), (size, kernel, stride, padding, dilation)
        e = explain_conv(None, None, stride, padding, dilation, image.tolist(), weights.tolist(), bias, check=False)
        np.testing.assert_allclose(e.output, expected[0, 0].numpy(), rtol=1e-12, atol=1e-12)
    assert accepted > 50 and refused > 5  # both sides of the rule were exercised


def test_pool_sizes_and_values_equal_torch_over_generated_geometries():
    rng = np.random.default_rng(1)
    accepted = refused = 0
    for size, kernel, stride, padding, dilation in _geometries(rng, 150):
        mode = "max" if rng.random() < 0.6 else "avg"
        dilation = dilation if mode == "max" else (1, 1)
        image = rng.normal(size=size)
        x = torch.tensor(image)[None, None]
        try:
            if mode == "max":
                expected = F.max_pool2d(x, kernel, stride, padding=padding, dilation=dilation)
            else:
                expected = F.avg_pool2d(x, kernel, stride, padding=padding)
        except RuntimeError:
            with pytest.raises(ShapeError):
                explain_pool(size, kernel, stride, padding, dilation, mode, check=False)
            refused += 1
            continue
        accepted += 1
        e = explain_pool(None, kernel, stride, padding, dilation, mode, image.tolist(), check=False)
        assert e.output_shape == tuple(expected.shape[-2:]), (mode, size, kernel, stride, padding, dilation)
        np.testing.assert_allclose(e.output, expected[0, 0].numpy(), rtol=1e-12, atol=1e-12)
    assert accepted > 50 and refused > 5


# -- params -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RECIPES))
def test_params_of_every_recipe_equal_the_torch_models_numel(name):
    data = explain_json("params", name)
    with torch.device("meta"):  # torch counts the same on the meta device, without initialising 22M weights
        model = RECIPES[name].build_default_model()
    numel = sum(p.numel() for p in model.parameters())
    assert data["total"] == data["numel"] == numel and data["matches"]
    assert data["trainable"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert all(row["count"] == row["numel"] for row in data["layers"])
    assert sum(row["count"] for row in data["layers"]) == numel


def test_params_follow_a_setting_that_chooses_the_model():
    """reviews-zh's `model` setting picks the factory: the BiLSTM + attention is counted, not the default ensemble."""
    from shendu.models import build_model

    recipe = RECIPES["reviews-zh"]
    data = explain_json("params", "reviews-zh", "--set", "model=lstm-attention")
    config = recipe.config_from_dict({**recipe.default_config().to_dict(), "model": "lstm-attention"})
    with torch.device("meta"):
        model = build_model(FACTORIES["lstm-attention"], recipe.model_kwargs(config))
    assert data["factory"] == FACTORIES["lstm-attention"] != recipe.factory
    assert data["total"] == data["numel"] == sum(p.numel() for p in model.parameters())
    assert data["total"] != explain_json("params", "reviews-zh")["total"]


def test_params_show_the_linear_and_conv_arithmetic_and_follow_set():
    shown = run_cli("explain", "params", "mnist-cnn")
    flat = " ".join(shown.stdout.split())
    assert shown.returncode == 0 and "matches torch" in flat
    rows = {row["name"]: row for row in explain_json("params", "mnist-cnn")["layers"]}
    assert rows["conv1"]["arithmetic"] == "1 × 32 × 3 × 3 + 32" and rows["conv1"]["count"] == 320
    assert rows["fc2"]["arithmetic"] == "128 × 10 + 10" and rows["fc2"]["count"] == 1290
    data = explain_json("params", "digits-mlp", "--set", "hidden=7")
    assert data["settings"] == {"hidden": 7} and data["total"] == 64 * 7 + 7 + 7 * 10 + 10
    text = explain_json("params", "imdb-lstm")
    assert text["data_defaults"] == {"vocab_size": 20000, "num_classes": 2}
    assert "documented defaults" in " ".join(run_cli("explain", "params", "imdb-lstm").stdout.split())


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fragments"), [
    (("conv", "--size", "3", "--kernel", "5"), ("expected a kernel no larger than the padded input, 3x3",
                                                "got --kernel 5x5", "--padding 1 or more")),
    (("conv", "--size", "5", "--kernel", "3", "--dilation", "3"), ("spreads it over 7x7", "at most 2x2")),
    (("conv", "--size", "3", "--kernel", "2", "--stride", "0"), ("--stride must be at least 1", "got '0'",
                                                                 "use 1 or more")),
    (("conv", "--size", "3", "--kernel", "2", "--padding", "-1"), ("--padding must be at least 0", "got '-1'",
                                                                   "use 0 or more")),
    (("conv", "--image", "1,2,3/4,5/7,8,9", "--weights", DOCUMENT_KERNEL),
     ("expected 3 numbers in each row", "got rows of 3, 2, 3", "Give every row 3 numbers")),
    (("conv", "--image", DOCUMENT_IMAGE, "--weights", "1,0/0"), ("--weights must be a rectangle", "row 2 has 1")),
    (("conv", "--size", "4", "--image", DOCUMENT_IMAGE, "--weights", DOCUMENT_KERNEL),
     ("--size 4x4 disagrees with --image, which is 3x3", "leave --size out")),
    (("pool", "--size", "4", "--kernel", "2", "--padding", "2"), ("expected --padding of at most 1", "got 2",
                                                                  "Use --padding 1 or less")),
    (("pool", "--size", "4", "--mode", "avg", "--dilation", "2"), ("no dilation", "got --dilation 2")),
    (("neuron", "--inputs", "1,2,3", "--weights", "0.2,0.8"), ("expected 3 numbers", "got 2",
                                                               "as many weights as inputs")),
    (("derivative", "swish", "--at", "1"), ("must be one of identity, sigmoid", "got 'swish'")),
    (("derivative", "sigmoid", "--at", "nan"), ("--at takes a finite number", "got nan")),
    (("params", "digits-mlp", "--set", "hidden=-3"), ("cannot be built with --set hidden=-3", "Change those")),
])
def test_impossible_inputs_are_refused_with_expected_received_and_fix(args, fragments):
    assert_clear_error(run_cli("explain", *args), *fragments)


def test_help_imports_no_torch():
    code = ("import sys\nfrom shendu.cli import app\n"
            "for args in (['explain', '--help'], ['explain', 'conv', '--help'], ['explain', 'params', '--help']):\n"
            "    try:\n        app(args, standalone_mode=False)\n    except SystemExit:\n        pass\n"
            "print('IMPORTED', sorted(m for m in ('torch', 'numpy') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "IMPORTED []" in done.stdout and "--dilation" in done.stdout, done.stdout[-500:]


def test_the_docs_commands_and_python_snippet_run():
    """docs/explain.md's command list runs as written, and its Python lines give what they say."""
    import re
    import shlex

    from tests.conftest import ROOT

    page = (ROOT / "docs" / "explain.md").read_text()
    commands = re.search(r"```bash\n(.*?)```", page, re.S).group(1).splitlines()
    assert len(commands) >= 10
    for line in commands:
        args = shlex.split(line)
        assert args[:2] == ["shendu", "explain"], line
        result = run_cli(*args[1:], "--json")
        assert result.returncode == 0, (line, result.stderr)
        json.loads(result.stdout)
    snippet = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    for line in snippet.splitlines():
        if "  # " in line:
            code, _, expected = line.partition("  # ")
            assert repr(eval(code.strip(), {"explain_neuron": explain_neuron, "explain_conv": explain_conv})) \
                == expected.strip(), line  # noqa: S307 - the page's own lines

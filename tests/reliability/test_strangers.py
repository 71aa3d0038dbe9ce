"""Run folders and inputs that strangers made, tampered with or hand-edited.

Every case ends in one of two ways: the command works, or it exits 2 with one paragraph that
names the file and the field, says what was expected and what was found and how to fix it.
Never a traceback, never a large allocation for a size nobody trained, and the run folder is
byte-identical afterwards. Output shows labels, paths and texts as written: no terminal escape
sequence and no Rich markup from a file ever reaches the terminal.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import resource
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import ROOT, folder_digest, run_cli, write_idx

# -- helpers ----------------------------------------------------------------------------------


def assert_refused(result, *fragments: str) -> str:
    """Exit 2, no traceback, one ``error:`` paragraph holding every fragment; returns it flat."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert "error:" in output, output
    flat = " ".join(output.split())
    for fragment in fragments:
        assert fragment in flat, flat
    return flat


def edit_json(run: Path, name: str, edit) -> None:
    path = run / name
    data = json.loads(path.read_text())
    data = edit(data) or data
    path.write_text(json.dumps(data))


def rewrite_weights(run: Path, change) -> None:
    """Replace model.safetensors with ``change(state)`` and record its real SHA-256, as a careful
    tamperer would (so the checksum passes and what is tested is the check after it)."""
    from safetensors.torch import load_file, save_file

    state = load_file(run / "model.safetensors")
    save_file(change(state), run / "model.safetensors")
    sha = hashlib.sha256((run / "model.safetensors").read_bytes()).hexdigest()
    edit_json(run, "model.json", lambda m: m.update(weights_sha256=sha))


@pytest.fixture
def run(tmp_path, digits_run) -> Path:
    """A copy of the session's digits-mlp run, to hand-edit."""
    return Path(shutil.copytree(digits_run, tmp_path / "run"))


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("png") / "seven.png"
    pixels = np.zeros((8, 8), np.uint8)
    pixels[1, 1:7], pixels[2:7, 5] = 255, 255
    Image.fromarray(pixels).save(path)
    return path


def predict_refused(run: Path, image: Path, *fragments: str) -> str:
    before = folder_digest(run)
    flat = assert_refused(run_cli("predict", str(run), str(image)), *fragments)
    assert folder_digest(run) == before
    return flat


# -- 1. model.json kwargs, labels, input: refused before anything large is built -------------------


@pytest.mark.parametrize(("kwarg", "value", "fragments"), [
    ("hidden", -1, ["`kwargs.hidden`", "never negative", "got -1"]),
    ("hidden", "64", ["`kwargs.hidden`", "must be a whole number", "'64'"]),
    ("hidden", 64.0, ["`kwargs.hidden`", "must be a whole number"]),
    ("hidden", True, ["`kwargs.hidden`", "must be a whole number"]),
    ("hidden", None, ["`kwargs.hidden`", "must be a whole number"]),
    ("hidden", [64], ["`kwargs.hidden`"]),
    ("hidden", 32, ["do not belong together", "fc1.weight is [32, 64] in the model, [64, 64] in the file"]),
    ("activation", "evil", ["`kwargs`", "activation must be one of", "'evil'"]),
    ("activation", 3, ["`kwargs.activation`", "must be a string"]),
    ("in_features", 0, ["do not belong together", "fc1.weight"]),
    ("bogus", 1, ["`kwargs` has 'bogus'", "it takes hidden, activation, num_classes, in_features"]),
])
def test_model_json_kwargs_are_refused_with_the_kwarg_named(run, digit_png, kwarg, value, fragments):
    edit_json(run, "model.json", lambda m: m["kwargs"].update({kwarg: value}))
    flat = predict_refused(run, digit_png, str(run / "model.json"), *fragments)
    assert "Restore" in flat or "train again" in flat


def test_a_huge_hidden_size_is_refused_before_it_is_allocated(run, digit_png):
    """10**7 hidden units of 64 inputs would be 2.6 GB of float32 before the weights were read."""
    edit_json(run, "model.json", lambda m: m["kwargs"].update(hidden=10**7))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    predict_refused(run, digit_png, "`kwargs.hidden` is 10,000,000, more than all 4,810 numbers",
                    "do not belong together")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 500_000


def test_a_huge_layer_count_is_refused_before_the_model_is_built():
    import torch

    from shendu.errors import RunFolderError
    from shendu.predict.formats import check_sizes

    state = {"a": torch.zeros(3), "b": torch.zeros(3)}
    check_sizes({"num_layers": 2, "hidden": 6}, state, "model.json", "model.safetensors")
    with pytest.raises(RunFolderError, match="num_layers` is 3, more than all 2 tensors"):
        check_sizes({"num_layers": 3}, state, "model.json", "model.safetensors")


@pytest.mark.parametrize(("labels", "fragments"), [
    ([], ["`labels` must name the model's classes", "empty list"]),
    (["a", "b"], ["`kwargs.num_classes` is 10", "`labels` (2 names)", "needs its label"]),
    ([str(i) for i in range(11)], ["`kwargs.num_classes` is 10", "`labels` (11 names)"]),
    (list(range(10)), ["labels[0] must be a string", "got 0", "Restore model.json"]),
    ("0123456789", ["labels must be a list of strings"]),
    (None, ["labels must be a list of strings"]),
])
def test_labels_that_do_not_name_the_classes_are_refused(run, digit_png, labels, fragments):
    edit_json(run, "model.json", lambda m: m.update(labels=labels))
    predict_refused(run, digit_png, *fragments)


def test_too_few_labels_for_a_model_without_num_classes_are_refused_at_predict():
    import torch

    from shendu.errors import RunFolderError
    from shendu.predict.kinds.base import top_classes

    with pytest.raises(RunFolderError, match="names 1 classes, but the model outputs 2"):
        top_classes(torch.tensor([[0.3, 0.7]]), ["only"], 2)


@pytest.mark.parametrize(("field", "value", "fragments"), [
    ("channels", -1, ["`input`.channels must be 1 (grayscale) or 3 (RGB)", "got -1"]),
    ("channels", 3, ["`input`.mean must be 3 finite numbers"]),
    ("height", 0, ["`input`.height must be between 1 and 4096 pixels"]),
    ("width", 10**9, ["`input`.width must be between 1 and 4096 pixels"]),
    ("height", "8", ["`input`.height must be a whole number", "Restore model.json"]),
    ("mean", [], ["`input`.mean must be 1 finite number"]),
    ("mean", "0.3", ["`input`.mean must be a list of numbers"]),
    ("std", [0.0], ["`input`.std must be positive numbers"]),
    ("std", [-1], ["`input`.std must be positive numbers"]),
    ("invert", "sometimes", ["`input`.invert must be 'auto' or 'never'"]),
    ("kind", "smell", ["has kind 'smell'"]),
    ("kind", None, ["has kind None"]),
    ("schema_version", 99, ["schema_version 99", "Upgrade shendu"]),
    ("extra", 1, ["unknown key 'extra'"]),
])
def test_input_spec_fields_are_range_checked(run, digit_png, field, value, fragments):
    edit_json(run, "model.json", lambda m: m["input"].update({field: value}))
    predict_refused(run, digit_png, *fragments)


@pytest.mark.parametrize("value", ["x", 3, None, [], True])
def test_input_of_another_type_is_refused(run, digit_png, value):
    edit_json(run, "model.json", lambda m: m.update(input=value))
    predict_refused(run, digit_png, "input must be a JSON object", "Restore model.json")


def test_a_tokenizer_outside_the_run_folder_is_refused():
    from shendu.data.specs import input_spec_from_dict
    from shendu.errors import RunFolderError

    good = {"kind": "text", "tokenizer": "tokenizer.json", "max_length": 100, "vocab_size": 5000}
    assert input_spec_from_dict(good).tokenizer == "tokenizer.json"
    for name in ("/etc/passwd", "../other/tokenizer.json", "..", "", "sub/tokenizer.json"):
        with pytest.raises(RunFolderError, match="tokenizer must be the name of a file in the run folder"):
            input_spec_from_dict({**good, "tokenizer": name})


# -- hypothesis: any JSON value in any field of model.json ----------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["factory", "kwargs", "kwargs.hidden", "kwargs.activation", "kwargs.num_classes", "kwargs.in_features",
          "labels", "labels.0", "input", "input.kind", "input.channels", "input.height", "input.width", "input.mean",
          "input.std", "input.invert", "weights_sha256", "task", "num_parameters", "test_data", "format", "variant",
          "schema_version"]


def _set(document: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[key]
    if isinstance(document, list):
        document[int(last)] = value
    else:
        document[last] = value


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory, digits_run) -> Path:
    return Path(shutil.copytree(digits_run, tmp_path_factory.mktemp("fuzz") / "run"))


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_value_in_any_model_json_field_works_or_is_refused_clearly(fuzz_run, digits_run, digit_png, field, value):
    document = json.loads((digits_run / "model.json").read_text())
    _set(document, field, value)
    (fuzz_run / "model.json").write_text(json.dumps(document))
    before = folder_digest(fuzz_run)
    result = run_cli("predict", str(fuzz_run), str(digit_png), "--json")
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert folder_digest(fuzz_run) == before
    if result.returncode == 0:
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in --json output"))
    else:
        assert result.returncode == 2, output
        assert "model.json" in output and "error:" in output, output


# -- 2. weights_sha256 is required ------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "xyz", "F" * 64, 123, ["a"], "0" * 63, "g" * 64])
def test_weights_sha256_must_be_64_hex_digits(run, digit_png, value):
    edit_json(run, "model.json", lambda m: m.update(weights_sha256=value))
    predict_refused(run, digit_png, "`weights_sha256` is required", "64 lowercase hexadecimal digits",
                    "sha256sum model.safetensors")


def test_a_missing_weights_sha256_is_refused(run, digit_png):
    edit_json(run, "model.json", lambda m: m.pop("weights_sha256") and None)
    predict_refused(run, digit_png, "`weights_sha256` is required", "got missing")


# -- 3. weights and model.json that do not belong together ------------------------------------------


def test_weights_of_other_shapes_name_the_keys_and_shapes(run, digit_png):
    import torch

    def smaller(state):
        return {**state, "fc1.weight": torch.zeros(32, 64), "fc1.bias": torch.zeros(32), "fc2.weight": torch.zeros(10, 32)}

    rewrite_weights(run, smaller)
    flat = predict_refused(run, digit_png, "model.json and", "model.safetensors do not belong together",
                           "fc1.weight is [64, 64] in the model, [32, 64] in the file",
                           "fc2.weight is [10, 64] in the model, [10, 32] in the file", "from the same run")
    assert "Error(s) in loading state_dict" not in flat


def test_weights_with_missing_and_extra_keys_name_them(run, digit_png):
    def renamed(state):
        state = dict(state)
        state["head.weight"] = state.pop("fc2.weight")
        return state

    rewrite_weights(run, renamed)
    predict_refused(run, digit_png, "do not belong together", "the file lacks fc2.weight", "the model has no head.weight")


def test_a_damaged_int8_scale_is_refused():
    import torch

    from shendu.errors import RunFolderError
    from shendu.predict.formats import SCALE_PREFIX, int8_decode

    with pytest.raises(RunFolderError, match="without an int8 tensor fc.weight"):
        int8_decode({f"{SCALE_PREFIX}fc.weight": torch.ones(3)})
    with pytest.raises(RunFolderError, match="of 3 rows"):
        int8_decode({"fc.weight": torch.ones(2, 4, dtype=torch.int8), f"{SCALE_PREFIX}fc.weight": torch.ones(3)})


# -- 4. inputs that are folders, or no file at all --------------------------------------------------


def test_a_folder_given_to_predict_is_called_a_folder(run, tmp_path):
    predict_refused(run, tmp_path, "INPUT must be an image file", "(a folder; pass the files in it instead")


@pytest.mark.parametrize("argument", [",".join(["0.25"] * 64), "x" * 300, "/" + "y" * 300 + "/z.png"])
def test_a_long_argument_that_is_no_file_gets_the_usual_error(run, argument):
    before = folder_digest(run)
    flat = assert_refused(run_cli("predict", str(run), argument), "INPUT must be an image file")
    assert "too long to be a file name" in flat or "no such file" in flat
    assert folder_digest(run) == before


def test_a_folder_given_to_an_audio_reader_is_called_a_folder(tmp_path):
    from shendu.data.speech import read_audio
    from shendu.errors import InputError

    with pytest.raises(InputError, match="a folder; pass the files in it instead"):
        read_audio(tmp_path)
    with pytest.raises(InputError, match="too long to be a file name"):
        read_audio("z" * 400)


# -- 5. --json is JSON ------------------------------------------------------------------------------


def test_predict_json_turns_nan_into_null(run, digit_png):
    import torch

    rewrite_weights(run, lambda state: {**state, "fc2.bias": torch.full((10,), float("nan"))})
    result = run_cli("predict", str(run), str(digit_png), "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert {entry["probability"] for entry in item["top"]} == {None}


def test_json_text_is_strict_json():
    from shendu.terminal import json_text

    text = json_text({"a": math.nan, "b": [math.inf, -math.inf, np.float32(1.5)], "c": "\x1b\x9b\u202e中"})
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text and "中" in text
    assert json.loads(text, parse_constant=lambda c: pytest.fail(c)) == {"a": None, "b": [None, None, 1.5],
                                                                         "c": "\x1b\x9b\u202e中"}


# -- 6. terminal safety -----------------------------------------------------------------------------

HOSTILE = ["\x1b[31mred\x1b[0m", "[bold red]loud", "img/[/]x.png", "\x9b2J", "tab\there", "line\nbreak",
           ":warning:", "\u202eevil", "a\\", "[link=http://x]y[/link]", "lone\ud800"]


def test_safe_text_shows_control_characters_and_markup_as_written():
    from rich.console import Console

    from shendu.terminal import safe_text

    console = Console(record=True, width=200, emoji=False)
    for text in HOSTILE:
        console.print(safe_text(text))
    shown = console.export_text()
    for char in ("\x1b", "\x9b", "\u202e", "\t", "\ud800"):
        assert char not in shown
    for literal in ("\\x1b[31mred", "[bold red]loud", "img/[/]x.png", "\\x9b2J", "tab\\there", "line\\nbreak",
                    ":warning:", "\\u202eevil", "[link=http://x]y[/link]", "lone\\ud800"):
        assert literal in shown, shown


def test_labels_with_escapes_and_markup_print_literally(run, digit_png):
    labels = [*HOSTILE[:9], "9"]
    edit_json(run, "model.json", lambda m: m.update(labels=labels))
    result = run_cli("predict", str(run), str(digit_png), "--top-k", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    for char in ("\x1b", "\x9b", "\u202e", "\t"):
        assert char not in result.stdout
    for literal in ("\\x1b[31mred", "[bold red]loud", "img/[/]x.png", ":warning:", "line\\nbreak"):
        assert literal in result.stdout, result.stdout
    info = run_cli("info", str(run))
    assert info.returncode == 0 and "\x1b" not in info.stdout and "[bold red]loud" in info.stdout, info.stdout
    as_json = run_cli("predict", str(run), str(digit_png), "--json", "--top-k", "10")
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert {e["label"] for e in json.loads(as_json.stdout)[0]["top"]} == set(labels)


def test_a_path_with_markup_prints_literally_in_results_and_errors(run, digit_png, tmp_path):
    odd = tmp_path / "img" / "[" / "]x[bold red].png"
    odd.parent.mkdir(parents=True)
    shutil.copy(digit_png, odd)
    result = run_cli("predict", str(run), str(odd))
    assert result.returncode == 0, result.stdout + result.stderr
    # the path is the table's title, which wraps at the table's width (anywhere, in a long tmp path)
    assert "]x[boldred].png" in "".join(result.stdout.split())
    # a relative name: a long tmp path is shortened with "..." in the message
    missing = assert_refused(run_cli("predict", str(run), "[bold red]nope[/]\x1b[2J.png", cwd=tmp_path),
                             "[bold red]nope[/]\\x1b[2J.png", "no such file")
    assert "\x1b" not in missing


def test_an_error_message_with_markup_is_printed_as_written(tmp_path):
    odd = tmp_path / "[/]runs[bold]"
    flat = assert_refused(run_cli("info", str(odd)), "[/]runs[bold]", "no such folder")
    assert "MarkupError" not in flat


def test_log_messages_show_control_characters_as_escapes():
    import logging

    from shendu.cli import _visible_controls

    record = logging.LogRecord("shendu", logging.WARNING, __file__, 1, "the test split of %s differs", ("\x1b[2Jrun",),
                               None)
    assert _visible_controls(record) and record.getMessage() == "the test split of \\x1b[2Jrun differs"


# -- 7. MNIST: a proportional validation split, and advice that names real options ------------------


def test_small_mnist_idx_folders_keep_a_tenth_for_validation(tmp_path, mnist_sample):
    from shendu.data.mnist import default_val_size, mnist_bundle

    images, labels = mnist_sample
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", images[:4000])
    write_idx(raw / "train-labels-idx1-ubyte", labels[:4000])
    write_idx(raw / "t10k-images-idx3-ubyte", images[4000:4500])
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[4000:4500])
    bundle = mnist_bundle(tmp_path)
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (3600, 400, 500)
    assert [default_val_size(n) for n in (60_000, 50_000, 4000, 5)] == [5000, 5000, 400, 1]


def test_a_too_large_val_size_advises_the_real_setting(tmp_path, mnist_idx_dir):
    from shendu.data.mnist import mnist_bundle
    from shendu.errors import DataError

    with pytest.raises(DataError) as caught:
        mnist_bundle(mnist_idx_dir, val_size=1000)
    assert "`--set val_size=N` (N below 1000)" in str(caught.value) and "--val-size" not in str(caught.value)


def _literals(tree: ast.AST) -> list[str]:
    """Every string literal of a module but its docstrings (f-strings: their constant parts)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append(node.value)
    return out


# espeak-ng --version, run to record the synthesiser's version; pip's --no-deps, in the hint that
# installs the package carrying M3E-small's weights
OTHER_TOOLS = {"--version", "--no-deps"}


def test_every_option_and_setting_that_the_source_advises_exists():
    import typer.main

    from shendu.cli import app
    from shendu.recipes import RECIPES
    from shendu.recipes.options import settings_of

    group = typer.main.get_command(app)
    flags = {"--help", *OTHER_TOOLS}
    commands, stack = [], [group]
    while stack:  # sub-groups too (`shendu explain conv`, `shendu lab ...`)
        command = stack.pop()
        commands.append(command)
        stack.extend(getattr(command, "commands", {}).values())
    for command in commands:
        for param in command.params:
            flags.update(o for o in [*param.opts, *getattr(param, "secondary_opts", [])] if o.startswith("--"))
    names = set()
    for recipe in RECIPES.values():
        for setting in settings_of(recipe.config_cls):
            names.add(setting.name)
            flags.add(setting.flag)
            if setting.is_bool:
                flags.add("--no-" + setting.flag[2:])
    advised_flags, advised_names = {}, {}
    for path in sorted((ROOT / "src" / "shendu").rglob("*.py")):
        for text in _literals(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}: {text[:80]!r}"
            for name in re.findall(r"--set ([a-z_]+)=", text):
                advised_names.setdefault(name, where)
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*[a-z0-9])(?![\w-])", text):
                advised_flags.setdefault(flag, where)
    assert len(advised_flags) > 30 and len(advised_names) > 20  # the search found the messages
    assert {f: w for f, w in advised_flags.items() if f not in flags} == {}
    assert {n: w for n, w in advised_names.items() if n not in names} == {}


@pytest.mark.parametrize("value", [-1, "x", 100_000, None, [1]])
def test_evaluate_refuses_test_data_kwargs_its_builder_cannot_take(run, value):
    edit_json(run, "model.json", lambda m: m["test_data"]["kwargs"].update(test_size=value))
    before = folder_digest(run)
    assert_refused(run_cli("evaluate", str(run)), "`test_data.kwargs` do not fit", "Restore model.json")
    assert folder_digest(run) == before


# -- 8. shendu info on odd files ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [
    ("model.json", "[1, 2]"),
    ("model.json", '{"labels": 5, "num_parameters": "many", "factory": null, "variant": {"method": [1]}}'),
    ("model.json", '{"labels": [1, null, {"a": 1}], "num_parameters": 1e400}'),
    ("metrics.json", '{"test_acc": "high", "test_loss": null, "x": [1, "a"], "y": NaN, "z": {"a": 1}}'),
    ("metrics.json", '"just a string"'),
    ("env.json", '{"data": "somewhere"}'),
    ("env.json", '{"data": {"source": 5}}'),
    ("config.json", '{"recipe": ["x"], "engine": 3, "config": [1, 2]}'),
    ("config.json", '{"config": {"lr": NaN, "seed": "[bold]x[/]"}}'),
    ("config.json", "not json"),
    ("model.json", b"\xff\xfe\x00binary"),
])
def test_info_on_odd_files_never_tracebacks(run, name, content):
    path = run / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = folder_digest(run)
    result = run_cli("info", str(run))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert folder_digest(run) == before
    if result.returncode != 0:
        assert_refused(result, name)


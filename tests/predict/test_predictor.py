"""shendu.load(run) -> Predictor: the API, the CLI as its thin caller, hand-edited run folders,
and the registry as the only way to a task kind."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import shendu
from tests.conftest import ROOT, folder_digest, run_cli
from tests.test_cli import assert_clear_error


def assert_api_matches_cli(run: Path, inputs: list, *cli_args: str, **options) -> list[dict]:
    """``shendu.load(run).predict(inputs, **options)`` as dicts equals ``shendu predict --json``."""
    api = [r.to_dict() for r in shendu.load(run).predict(inputs, **options)]
    result = run_cli("predict", str(run), *map(str, inputs), *cli_args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == api
    return api


def test_image_classifier_api_equals_cli_and_reads_python_objects(digits_run, tmp_path):
    from PIL import Image

    from shendu.data.digits import load_digits_arrays

    images, _ = load_digits_arrays()
    path = tmp_path / "d.png"
    Image.fromarray((images[3] * 255).astype(np.uint8)).save(path)
    (item,) = assert_api_matches_cli(digits_run, [path], "--top-k", "2", top_k=2)
    assert len(item["top"]) == 2
    predictor = shendu.load(digits_run)
    from_pil = predictor.predict(Image.open(path))[0].to_dict()
    from_array = predictor.predict([np.asarray(Image.open(path))])[0].to_dict()
    assert from_pil["top"] == from_array["top"] and from_pil["top"][0] == item["top"][0]
    assert predictor.labels == [str(d) for d in range(10)] and predictor.info["task"] == "image-classification"


def test_options_of_another_kind_are_refused(digits_run):
    result = run_cli("predict", str(digits_run), "x.png", "--explain", "2")
    assert_clear_error(result, "--explain is not an option of image-classification runs", "--top-k")
    with pytest.raises(shendu.predict.predictor.InputError, match="top_k"):
        shendu.load(digits_run).predict(["x.png"], top_k=0)


def test_evaluate_rebuilds_only_the_test_split_and_checks_the_data(digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    evaluation = shendu.load(run).evaluate()
    assert evaluation.reproduced and evaluation.data_changed is False
    env = json.loads((run / "env.json").read_text())
    env["data"]["test_sha256"] = "0" * 64
    (run / "env.json").write_text(json.dumps(env))
    before = folder_digest(run)
    result = run_cli("evaluate", str(run))
    assert result.returncode == 0 and "the test data changed since training" in " ".join(result.stderr.split())
    assert folder_digest(run) == before


# -- hand-edited model.json / config.json: exit 2, one paragraph, nothing changed ------------------

def _edited_copy(source: Path, tmp_path: Path, name: str, edit) -> Path:
    """A copy of run folder ``source`` whose JSON file ``name`` went through ``edit``."""
    run = tmp_path / "run"
    shutil.copytree(source, run)
    content = json.loads((run / name).read_text())
    edit(content)
    (run / name).write_text(json.dumps(content))
    return run


MODEL_EDITS = [
    (lambda m: m.update(labels="0123456789"), "`labels` must be a list of strings"),
    (lambda m: m.update(num_parameters="many"), "num_parameters must be a whole number"),
    (lambda m: m.update(extra_key=1), "unknown key 'extra_key'"),
    (lambda m: m.pop("factory"), "missing the key 'factory'"),
    (lambda m: m["input"].update(height="8"), "height must be a whole number"),
    (lambda m: m["input"].update(kind="hologram"), "has kind 'hologram'"),
    (lambda m: m["input"].pop("mean"), "missing the key 'mean'"),
    (lambda m: m["input"].update(schema_version=99), "schema_version 99"),
    (lambda m: m.update(task="telepathy"), "task 'telepathy'"),
    (lambda m: m.update(task="text-classification"), "reads text inputs"),
    (lambda m: m["test_data"].update(builder="os:system"), "must name a function in shendu.data"),
]


@pytest.mark.parametrize("edit, message", MODEL_EDITS)
def test_hand_edited_model_json_is_a_clear_error(digits_run, tmp_path, edit, message):
    run = _edited_copy(digits_run, tmp_path, "model.json", edit)
    before = folder_digest(run)
    command = "evaluate" if "test_data" in message or "shendu.data" in message else "predict"
    args = [command, str(run)] + (["x.png"] if command == "predict" else [])
    assert_clear_error(run_cli(*args), message.replace("`", ""))
    assert folder_digest(run) == before


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(recipe=3), "recipe must be a string"),
    (lambda c: c.update(config=[1]), "config must be a JSON object"),
    (lambda c: c.pop("engine"), "missing the key 'engine'"),
    (lambda c: c.update(notes="x"), "unknown key 'notes'"),
])
def test_hand_edited_config_json_is_a_clear_error(digits_run, tmp_path, edit, message):
    run = _edited_copy(digits_run, tmp_path, "config.json", edit)
    before = folder_digest(run)
    assert_clear_error(run_cli("evaluate", str(run)), message)
    assert folder_digest(run) == before


def test_a_run_folder_without_schema_versions_still_loads(digits_run, tmp_path):
    """Run folders written before specs were versioned (no schema_version, no test_data)."""
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    model = json.loads((run / "model.json").read_text())
    for key in ("schema_version", "test_data"):
        model.pop(key)
    model["input"].pop("schema_version")
    (run / "model.json").write_text(json.dumps(model))
    predictor = shendu.load(run)
    assert predictor.input_spec.height == 8
    assert_clear_error(run_cli("evaluate", str(run)), "test_data", "train it again to evaluate it")


# -- one place per decision ---------------------------------------------------------------------


def test_the_cli_does_not_branch_on_kinds():
    source = (ROOT / "src" / "shendu" / "cli.py").read_text()
    for pattern in (r"\bkind\b\s*(==|is|!=|in)", r"input_spec", r"\"(image|text|vector|series|audio|multimodal)\"",
                    r"(DETECTION|CLASSIFICATION|FORECAST|SPEECH|MULTIMODAL)\b", r"get_task_kind|TASK_KINDS"):
        assert not re.search(pattern, source), pattern


def test_task_kinds_are_looked_up_only_through_the_registry():
    src = ROOT / "src" / "shendu"
    for path in src.rglob("*.py"):
        text = path.read_text()
        if path != src / "predict" / "kinds" / "__init__.py":
            assert "TASK_KINDS[" not in text and "TASK_KINDS.get" not in text, path
        if "predict" not in path.parts:  # nothing else decides by an input kind's name
            assert not re.search(r"\.kind\s*==\s*\"(image|text|vector|series|audio|multimodal)\"", text), path
    from shendu.predict.kinds import TASK_KINDS

    assert {k.task for k in TASK_KINDS.values()} == set(TASK_KINDS)


def test_the_predict_side_never_imports_lightning():
    import subprocess
    import sys

    code = "import shendu.predict, sys; assert 'lightning' not in sys.modules and 'shendu.train' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_readme_python_snippet_runs(digits_run):
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert "shendu.load(" in snippet
    namespace: dict = {}
    exec(snippet.replace("runs/digits-mlp-20261124-101500", str(digits_run)), namespace)  # noqa: S102
    assert namespace["result"]["top"][0]["label"] in [str(d) for d in range(10)]

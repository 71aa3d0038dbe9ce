"""docs/lab/README.md: its example experiment runs as written (one module + one registry line),
and the gallery holds a default-size report for every experiment."""

from __future__ import annotations

import re
import sys

from shendu.lab import registry
from shendu.lab.base import Experiment
from tests.conftest import ROOT, run_cli

README = ROOT / "docs" / "lab" / "README.md"


def test_the_example_experiment_runs_from_its_module_and_registry_line(tmp_path, monkeypatch):
    text = README.read_text()
    module_code = re.search(r"## Adding an experiment.*?```python\n(.*?)```", text, re.S).group(1)
    line = re.search(r"```python\n\s*(Experiment\(.*?\)),\n```", text, re.S).group(1)
    (tmp_path / "lr_demo.py").write_text(module_code)
    monkeypatch.syspath_prepend(str(tmp_path))
    declared = eval(line, {"Experiment": Experiment})  # noqa: S307 (the README's own line)
    experiment = Experiment(declared.name, "lr_demo", declared.summary, declared.engines, declared.seeds)
    monkeypatch.setitem(registry.EXPERIMENTS, experiment.name, experiment)
    try:
        result = run_cli("lab", "lr-demo", "--quick", "--seeds", "2", "--engine", "scratch", "--out",
                         str(tmp_path / "runs"))
    finally:
        sys.modules.pop("lr_demo", None)
    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    report = (folder / "report.md").read_text()
    assert "ends best, at" in report and "(curves.png)" in report and (folder / "curves.png").is_file()


def test_the_gallery_has_a_default_size_report_for_every_experiment():
    text = README.read_text()
    for name in registry.EXPERIMENTS:
        page = README.parent / name / "report.md"
        assert f"]({name}/report.md)" in text and page.is_file(), name
        report = page.read_text()
        assert f"Made by `shendu lab {name} --engine" in report and "--quick" not in report.splitlines()[2]
        for picture in re.findall(r"\]\(([\w-]+\.png)\)", report):
            size = (page.parent / picture).stat().st_size
            assert size < 70_000, (picture, size)

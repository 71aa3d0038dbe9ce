"""Every Python snippet in docs/scratch.md runs, and the XOR example really learns XOR."""

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "scratch.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_doc_has_snippets():
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("code", SNIPPETS, ids=range(len(SNIPPETS)))
def test_snippet_runs(code, capsys):
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102
    if "model = nn.Sequential" in code:
        predictions = namespace["model"](namespace["x"]).detach().numpy().ravel()
        np.testing.assert_array_equal(predictions.round(), [0, 1, 1, 0])
        assert "[0. 1. 1. 0.]" in capsys.readouterr().out

"""shendu (深度): a deep learning toolkit, from a hand-written neuron to served models.

``shendu.load(run)`` opens a trained run folder as a :class:`shendu.predict.Predictor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from shendu.predict import Predictor

__version__ = "0.1.0"


def load(run: Path | str) -> Predictor:
    """Open a run folder made by ``shendu train``: ``shendu.load(run).predict(inputs)``
    (imported on first use, so ``import shendu`` stays light)."""
    from shendu.predict import load as _load

    return _load(run)


__all__ = ["__version__", "load"]

"""Lightning glue (and the scratch-engine loop): module wrapper, callbacks, plots, run folder.

The names below are imported on first use, so that `shendu.train.config` and
`shendu.train.target` (read by `shendu list` and `shendu train --help`) never import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "FitResult": "shendu.train.finish",
    "fit": "shendu.train.fit",
    "train_task": "shendu.train.run",
    "TrainingTask": "shendu.train.task",
    "Target": "shendu.train.target",
    "TrainConfig": "shendu.train.config",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'shendu.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)

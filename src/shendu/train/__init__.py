"""Lightning glue (and the scratch-engine loop): module wrapper, callbacks, plots, run folder.

The names below are imported on first use, so that `shendu.train.config` and
`shendu.train.target` (read by `shendu list` and `shendu train --help`) never import torch.
"""

from shendu.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "FitResult": "shendu.train.finish",
    "fit": "shendu.train.fit",
    "train_task": "shendu.train.run",
    "TrainingTask": "shendu.train.task",
    "Target": "shendu.train.target",
    "TrainConfig": "shendu.train.config",
})

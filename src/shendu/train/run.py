"""Train a task with the engine its config names."""

from __future__ import annotations

from shendu.runfolder import RunFolder
from shendu.train.finish import FitResult
from shendu.train.task import TrainingTask


def train_task(task: TrainingTask, run: RunFolder, resume: bool = False) -> FitResult:
    """``engine="torch"``: Lightning (:func:`shendu.train.fit.fit`); ``"scratch"``: the NumPy
    engine (:func:`shendu.train.scratch_fit.fit_scratch`)."""
    if task.config.engine == "scratch":
        from shendu.train.scratch_fit import fit_scratch

        return fit_scratch(task, run, resume=resume)
    from shendu.train.fit import fit

    return fit(task, run, resume=resume)

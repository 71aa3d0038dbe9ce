"""Lightning glue: module wrapper, callbacks, loggers, plots, the run folder."""

from shendu.train.config import TrainConfig
from shendu.train.fit import FitResult, fit
from shendu.train.loading import LoadedRun, load_run
from shendu.train.task import Target, TrainingTask

__all__ = ["FitResult", "LoadedRun", "Target", "TrainConfig", "TrainingTask", "fit", "load_run"]

"""Lightning glue (and the scratch-engine loop): module wrapper, callbacks, plots, run folder."""

from shendu.train.config import TrainConfig
from shendu.train.finish import FitResult
from shendu.train.fit import fit
from shendu.train.loading import LoadedRun, load_run
from shendu.train.run import train_task
from shendu.train.task import Target, TrainingTask

__all__ = ["FitResult", "LoadedRun", "Target", "TrainConfig", "TrainingTask", "fit", "load_run", "train_task"]

"""Lightning glue (and the scratch-engine loop): module wrapper, callbacks, plots, run folder."""

from shendu.train.config import TrainConfig
from shendu.train.finish import FitResult
from shendu.train.fit import fit
from shendu.train.run import train_task
from shendu.train.task import Target, TrainingTask

__all__ = ["FitResult", "Target", "TrainConfig", "TrainingTask", "fit", "train_task"]

"""The predict side: ``load(run) -> Predictor`` and the task kinds behind it (no trainer)."""

from shendu.predict.predictor import Evaluation, ModelSpec, Predictor, RunConfig, load

__all__ = ["Evaluation", "ModelSpec", "Predictor", "RunConfig", "load"]

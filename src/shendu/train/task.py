"""What a recipe hands to training: data, a model factory, settings and the target to reach."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torchmetrics import MetricCollection

from shendu.data.base import DataBundle
from shendu.predict.kinds import TaskKind, get_task_kind
from shendu.predict.kinds.classification import classification_metrics
from shendu.predict.variant import Variant
from shendu.train.config import TrainConfig
from shendu.train.kinds import TrainKind, get_train_kind
from shendu.train.target import Target


@dataclass
class TrainingTask:
    """One classification run, fully specified.

    Args:
        recipe: the recipe's name (``mnist-cnn``).
        title: a human title for the report.
        factory: a model factory from ``shendu.models``; model.json records its import path.
        model_kwargs: keyword arguments for ``factory`` (JSON-serialisable).
        data: the datasets and their provenance.
        config: training hyper-parameters.
        recipe_config: every setting of the recipe, saved as config.json.
        target: the goal the report checks the test metric against.
        notes: extra lines for the report (e.g. why a choice was made).
        loss_fn: the training loss (cross-entropy for classifiers).
        metrics: builds the metric collection from the number of classes.
        init_weights: a (partial) state_dict loaded into the fresh model before training,
            e.g. pretrained backbone weights; keys it lacks keep their initialisation.
        scratch_factory: the twin of ``factory`` in ``shendu.scratch.zoo`` (same kwargs and
            state_dict keys), for ``--engine scratch``; ``None`` if the recipe has none.
        kind: the training kind (:mod:`shendu.train.kinds`): ``classification``, ``detection``,
            ``forecast``, ``speech``, ``multimodal`` or ``distillation``.
        variant: model.json's ``variant``, for a run derived from another one (``shendu distill``
            records its teacher); ``None`` for a plain training run.
    """

    recipe: str
    title: str
    factory: Callable[..., nn.Module]
    model_kwargs: dict[str, Any]
    data: DataBundle
    config: TrainConfig
    recipe_config: dict[str, Any]
    target: Target | None = None
    notes: list[str] = field(default_factory=list)
    loss_fn: nn.Module = field(default_factory=nn.CrossEntropyLoss)
    metrics: Callable[[int], MetricCollection] = classification_metrics
    scratch_factory: Callable[..., Any] | None = None
    init_weights: dict[str, Any] | None = None
    kind: str = "classification"
    variant: Variant | None = None

    @property
    def train_kind(self) -> TrainKind:
        """What training does for this kind (module, history columns, curve)."""
        return get_train_kind(self.kind)

    @property
    def task_kind(self) -> TaskKind:
        """The predict-side task kind of the trained model (evaluate, pictures, report rows)."""
        return get_task_kind(self.train_kind.task(self.data.input_spec))

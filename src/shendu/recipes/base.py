"""A recipe binds a dataset, a model factory, metrics and default hyper-parameters.

A recipe module is a declaration: it imports no torch, no data and no model code at import
time (those are imported inside ``make_task``), so `shendu list` and `shendu train RECIPE
--help` answer without them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from shendu.errors import ShenduError
from shendu.train.config import TrainConfig
from shendu.train.target import Target

if TYPE_CHECKING:
    from torch import nn

    from shendu.train.task import TrainingTask

# Settings of every recipe added after run folders were first made, with the value that gives the
# behaviour from before they existed (see Recipe.legacy).
TRAIN_LEGACY: dict[str, Any] = {"channels_last": False}


@dataclass(frozen=True)
class Recipe:
    """A named task users train with ``shendu train NAME``.

    Args:
        name: the CLI name (``mnist-cnn``).
        summary: one line for ``shendu list``.
        data: the default data, for ``shendu list``.
        config_cls: the recipe's typed config (a TrainConfig subclass with its defaults).
        factory: the model factory's import path (``"shendu.models.mnist:mnist_net"``), called
            with ``model_kwargs(config)``.
        model_kwargs: the factory's kwargs for a config.
        parameters: the default model's parameter count, as ``shendu list`` shows it without
            building the model (a test builds every recipe's model and checks it).
        make_task: builds the full TrainingTask (loads the data) from a config.
        target: the metric the recipe is documented to reach with its defaults (None when
            no default data ships to measure it on).
        legacy: settings added to the recipe after its first release, each with the value that
            gives the behaviour from before it existed (mnist-cnn's ``label_smoothing: 0.0``): a
            config.json saved without the key (a run made by an older shendu, resumed or
            compressed now) reads as that value, not as today's default.
        factory_of: the factory for a config, where a setting chooses the model (reviews-zh's
            ``model``); ``None``: always ``factory``.
    """

    name: str
    summary: str
    data: str
    config_cls: type[TrainConfig]
    factory: str
    model_kwargs: Callable[[Any], dict[str, Any]]
    make_task: Callable[[Any], TrainingTask]
    target: Target | None
    parameters: int
    legacy: Mapping[str, Any] = field(default_factory=dict)
    factory_of: Callable[[Any], str] | None = None

    def model_factory(self, config: TrainConfig) -> str:
        """The import path of the factory that builds ``config``'s model."""
        return self.factory if self.factory_of is None else self.factory_of(config)

    def default_config(self) -> TrainConfig:
        return self.config_cls()

    def build_default_model(self) -> nn.Module:
        """The model the default settings train (with the default data's classes)."""
        from shendu.models import build_model

        config = self.default_config()
        return build_model(self.model_factory(config), self.model_kwargs(config))

    def config_from_dict(self, values: dict[str, Any]) -> TrainConfig:
        """Every value type-checked against the recipe's config (a hand-edited config.json with a
        wrong type gets a clear message, not a crash deep in training)."""
        from shendu.typed import from_json

        known = {f.name for f in fields(self.config_cls)}
        older = {k: v for k, v in {**TRAIN_LEGACY, **self.legacy}.items() if k in known and k not in values}
        values = {**values, **older}  # a key that a run saved by an older shendu lacks
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"recipe {self.name} has no setting {', '.join(unknown)}; its settings are "
                f"{', '.join(sorted(known))}."
            )
        try:
            return from_json(self.config_cls, values, f"recipe {self.name}'s settings")
        except ShenduError as exc:
            raise ValueError(str(exc)) from None


def recipe_config_json(recipe: Recipe, config: TrainConfig) -> dict[str, Any]:
    """The content of config.json: enough to rebuild the run (`--resume`, `evaluate`)."""
    return {"recipe": recipe.name, "engine": config.engine, "config": config.to_dict()}

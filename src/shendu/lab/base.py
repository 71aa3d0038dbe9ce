"""What a lab experiment is: a declaration (for `shendu lab list`) and a module (the work).

The declaration is light, so listing experiments imports neither NumPy nor torch:

    Experiment("optimizers", "shendu.lab.optimizers", "SGD, momentum, RMSProp, Adam, AdamW ...")

The module it names implements this contract (docs/lab/README.md shows a whole example):

``TITLE``
    The report's title.
``QUESTION``
    A paragraph: what the source documents ask and what the experiment does about it.
``Settings``
    A dataclass whose defaults are the default size (<= 5 minutes on 2 cores).
``QUICK``
    A ``Settings`` that runs in seconds (the tests use it).
``run_seed(settings, engine, seed) -> dict``
    One seed's numbers: a JSON-like tree of numbers, curves (lists of numbers), strings and
    ``None``. The runner repeats it over the seeds and merges the trees with
    :func:`shendu.lab.stats.aggregate` (mean and spread at every leaf).
``conclude(results) -> list[str]``
    Pure: sentences whose figures come from ``results`` (the aggregated tree, exactly as
    metrics.json stores it), so that different numbers give different sentences.
``render(results, settings) -> list[str]``
    The report's body, Markdown lines (tables, pictures): :mod:`shendu.lab.report` helps.
``plot(results, folder) -> list[str]``
    Writes PNGs into ``folder`` and returns their file names (:mod:`shendu.lab.plots`).

Optional: ``run_once(settings, engine) -> dict``, numbers that do not depend on the seed
(e.g. an activation's curve); the runner stores them under ``results["once"]``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

ENGINES = ("torch", "scratch")


@dataclass(frozen=True)
class Experiment:
    """One `shendu lab NAME` experiment.

    Args:
        name: the CLI name (``optimizers``).
        module: the import path of the module that runs it (see the module docstring).
        summary: one line for ``shendu lab list``.
        engines: the engines it can train on; ``--engine`` outside these is refused.
        seeds: how many seeds it repeats over when ``--seeds`` is not given.
    """

    name: str
    module: str
    summary: str
    engines: tuple[str, ...] = ENGINES
    seeds: int = 3

    def load(self) -> ModuleType:
        """Import the experiment's module (NumPy and the rest come with it)."""
        return importlib.import_module(self.module)

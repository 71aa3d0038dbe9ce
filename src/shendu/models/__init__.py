"""The model zoo: torch ``nn.Module`` factories. No training code, no I/O.

A run folder's ``model.json`` names its factory by import path
(``"shendu.models.mnist:mnist_net"``) plus keyword arguments; :func:`build_model` rebuilds
it. Only factories inside ``shendu.models`` may be named, so a model.json cannot make
shendu import arbitrary code.
"""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

from shendu.errors import RunFolderError
from shendu.models.mlp import SingleLayerNet, TwoLayerNet, digits_mlp, xor_net
from shendu.models.mnist import MNISTNet, mnist_net

__all__ = ["MNISTNet", "SingleLayerNet", "TwoLayerNet", "build_model", "digits_mlp", "factory_path",
           "mnist_net", "resolve_factory", "xor_net"]

_PREFIX = "shendu.models."


def factory_path(factory: Any) -> str:
    """The ``"module:function"`` string that :func:`build_model` resolves back to ``factory``."""
    return f"{factory.__module__}:{factory.__qualname__}"


def resolve_factory(factory: str) -> Any:
    """The function a ``"shendu.models.<module>:<function>"`` path names (nothing else is allowed)."""
    module_name, _, attr = factory.partition(":")
    if not module_name.startswith(_PREFIX) or not attr:
        raise RunFolderError(
            f"model.json `factory` must name a function in shendu.models as "
            f"'shendu.models.<module>:<function>'; got {factory!r}."
        )
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        raise RunFolderError(
            f"model.json names the model factory {factory!r}, which this version of shendu "
            "does not have. Use the shendu version that trained the run (see env.json)."
        ) from None


def build_model(factory: str, kwargs: dict[str, Any] | None = None) -> nn.Module:
    """Rebuild a model from a ``"shendu.models.<module>:<function>"`` path and its kwargs."""
    fn = resolve_factory(factory)
    try:
        return fn(**(kwargs or {}))
    except TypeError as exc:
        raise RunFolderError(f"model.json kwargs do not fit {factory!r}: {exc}.") from None

"""The model zoo: torch ``nn.Module`` factories. No training code, no I/O.

A run folder's ``model.json`` names its factory by import path
(``"shendu.models.mnist:mnist_net"``) plus keyword arguments; :func:`build_model` rebuilds
it. Only factories inside ``shendu.models`` may be named, so a model.json cannot make
shendu import arbitrary code.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any

from torch import nn

from shendu.errors import RunFolderError
from shendu.models.mlp import SingleLayerNet, TwoLayerNet, digits_mlp, xor_net
from shendu.models.mnist import MNISTNet, mnist_net

__all__ = ["MNISTNet", "SingleLayerNet", "TwoLayerNet", "build_model", "check_kwargs", "digits_mlp", "factory_path",
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


def check_kwargs(factory: str, kwargs: dict[str, Any], where: str = "model.json") -> None:
    """Check ``kwargs`` against the signature of the factory ``factory`` names, before anything
    is built: every name is a parameter, every value of the annotated type, and no size or count
    (a whole number) is negative.

    Raises:
        RunFolderError: naming ``where``, the kwarg, what was expected and what was found.
    """
    from shendu.typed import convert

    parameters = _parameters(resolve_factory(factory))
    if parameters is None:
        return
    unknown = sorted(set(kwargs) - set(parameters))
    if unknown:
        raise RunFolderError(f"{where} `kwargs` has {', '.join(map(repr, unknown))}, which {factory} does not take "
                             f"(it takes {', '.join(parameters) or 'no arguments'}). Restore model.json or train "
                             "again.")
    for name, value in kwargs.items():
        hint = parameters[name]
        if hint is not Any:
            try:
                convert(value, hint, f"{where} `kwargs.{name}`", RunFolderError)
            except RunFolderError as exc:
                raise RunFolderError(f"{exc} Restore model.json or train again.") from None
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise RunFolderError(f"{where} `kwargs.{name}` is a size or a count, which is never negative; got "
                                 f"{value}. Restore model.json or train again.")


def _parameters(fn: Any) -> dict[str, Any] | None:
    """``{name: type hint}`` of what ``fn`` takes; a ``**kwargs`` factory reads its class's ``__init__``
    (``None``: it takes anything)."""
    signature = inspect.signature(fn)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        built = typing.get_type_hints(fn).get("return")
        if not isinstance(built, type):
            return None
        fn, signature = built.__init__, inspect.signature(built.__init__)
    hints = typing.get_type_hints(fn)
    return {name: hints.get(name, Any) for name, p in signature.parameters.items()
            if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def build_model(factory: str, kwargs: dict[str, Any] | None = None, where: str = "model.json") -> nn.Module:
    """Rebuild a model from a ``"shendu.models.<module>:<function>"`` path and its kwargs.

    Inside ``with torch.device("meta"):`` nothing is allocated: that is how `shendu.load` compares
    the shapes model.json describes with the weights file before it builds the model for real.

    Raises:
        RunFolderError: a factory outside shendu.models, or kwargs it does not take or cannot
            build a model from (the factory's own message is kept).
    """
    kwargs = kwargs or {}
    fn = resolve_factory(factory)
    check_kwargs(factory, kwargs, where)
    try:
        return fn(**kwargs)
    except Exception as exc:  # noqa: BLE001 - whatever a factory raises on kwargs it cannot build is the file's fault
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunFolderError(f"{where} `kwargs` ({shown[:300]}) do not build {factory}: {reason[:300]}. "
                             "Restore model.json or train again.") from None

"""Typed dataclasses from JSON: every field checked, unknown keys refused, messages that help.

The run folder's JSON files (``config.json``, ``model.json``) are read back into dataclasses
through :func:`from_json`; a hand-edited file with a wrong type, an unknown key or a missing
field raises one ``error_cls`` whose message names the file, the key, what was expected and
what was found.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from shendu.errors import ShenduError

T = TypeVar("T")

_NAMES = {int: "a whole number", float: "a number", str: "a string", bool: "true or false",
          type(None): "null", dict: "a JSON object", list: "a list"}


def describe(tp: Any) -> str:
    """A type as a person reads it: ``a whole number or null``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return f"a list of {describe(args[0]).removeprefix('a ')}s" if args else "a list"
    if origin is dict:
        return "a JSON object"
    if dataclasses.is_dataclass(tp):
        return f"a JSON object ({tp.__name__})"
    return _NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def convert(value: Any, tp: Any, where: str, error_cls: type[ShenduError] = ShenduError) -> Any:
    """``value`` checked against ``tp`` (ints are accepted as floats; lists become tuples where
    the field is a tuple); raise ``error_cls`` naming ``where`` otherwise."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            try:
                return convert(value, option, where, error_cls)
            except error_cls:
                continue
        raise _wrong(value, tp, where, error_cls)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):  # type: ignore[arg-type]
            return value
        if not isinstance(value, dict):
            raise _wrong(value, tp, where, error_cls)
        return from_json(tp, value, where, error_cls)  # type: ignore[arg-type]
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise _wrong(value, tp, where, error_cls)
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        items = [convert(v, args[0], f"{where}[{i}]", error_cls) for i, v in enumerate(value)] if args else list(value)
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong(value, tp, where, error_cls)
        return dict(value)
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _wrong(value, tp, where, error_cls)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _wrong(value, tp, where, error_cls)
    if tp is type(None):
        if value is None:
            return None
        raise _wrong(value, tp, where, error_cls)
    if isinstance(tp, type) and not isinstance(value, tp):
        raise _wrong(value, tp, where, error_cls)
    return value


def _wrong(value: Any, tp: Any, where: str, error_cls: type[ShenduError]) -> ShenduError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return error_cls(f"{where} must be {describe(tp)}; got {shown}.")


def from_json(cls: type[T], data: dict[str, Any], where: str, error_cls: type[ShenduError] = ShenduError,
              ignore: tuple[str, ...] = ()) -> T:
    """Build dataclass ``cls`` from ``data``, checking every field's type.

    Raises ``error_cls`` for an unknown key (with the known ones listed), a missing field
    without a default, or a value of the wrong type. Keys in ``ignore`` are skipped.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields) - set(ignore))
    if unknown:
        raise error_cls(f"{where} has the unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                        f"the keys it takes are {', '.join(fields)}.")
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = convert(data[name], hints[name], f"{where}.{name}", error_cls)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise error_cls(f"{where} is missing the key {name!r} ({describe(hints[name])}).")
    return cls(**values)

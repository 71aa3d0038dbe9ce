"""A recipe's settings on the command line: ``--set KEY=VALUE``, the recipe's own options
(``--symbol AAPL``, ``--no-augment``), their help, and which source wins.

Every field of a recipe's config dataclass is an option of ``shendu train RECIPE``: its name
with dashes (``date_column`` -> ``--date-column``), typed by the field. Pure functions, no
torch: ``shendu train RECIPE --help`` answers without importing it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import MISSING, dataclass, fields
from typing import Any

from shendu.errors import ShenduError


@dataclass(frozen=True)
class Setting:
    """One recipe setting as ``shendu train RECIPE --help`` shows it."""

    name: str
    type_name: str
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_bool(self) -> bool:
        return self.type_name == "bool"


def settings_of(config_cls: type) -> list[Setting]:
    """Every field of ``config_cls`` with its type, default and the line its docstring gives it
    (the ``Args:`` sections of the class and its bases)."""
    docs: dict[str, str] = {}
    for cls in reversed(config_cls.__mro__):
        docs.update(_args_section(cls.__doc__ or ""))
    out = []
    for f in fields(config_cls):
        default = f.default if f.default is not MISSING else (
            f.default_factory() if f.default_factory is not MISSING else None)  # type: ignore[misc]
        type_name = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append(Setting(f.name, type_name, default, docs.get(f.name, "")))
    return out


def _args_section(doc: str) -> dict[str, str]:
    """``{"name": "help"}`` from a Google-style ``Args:`` section (``a, b: help`` names two)."""
    lines = doc.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    except StopIteration:
        return {}
    entries: dict[str, str] = {}
    names: list[str] = []
    indent: int | None = None
    for line in lines[start + 1:]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth < indent:
            break
        match = re.match(r"([\w, ]+):\s*(.*)", line.strip()) if depth == indent else None
        if match:
            names = [n.strip() for n in match.group(1).split(",") if n.strip()]
            for name in names:
                entries[name] = match.group(2)
        else:
            for name in names:
                entries[name] += " " + line.strip()
    return {name: re.sub(r"``?([^`]+)``?", r"\1", text).strip() for name, text in entries.items()}


def convert(raw: str, type_name: str, shown_as: str) -> Any:
    """``raw`` as the field's type (``int``, ``float``, ``bool``, ``str``, each maybe ``| None``)."""
    base = type_name.split("|")[0].strip()
    if raw.lower() in ("none", "null") and "None" in type_name:
        return None
    try:
        if base == "bool":
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1", "yes")
        if base == "int":
            return int(raw)
        if base == "float":
            return float(raw)
        return raw
    except ValueError:
        expected = "true or false" if base == "bool" else f"a {'whole number' if base == 'int' else 'number'}"
        none = " (or none)" if "None" in type_name else ""
        raise ShenduError(f"{shown_as} expects {expected}{none}; got {raw!r}.") from None


def parse_sets(assignments: list[str], config_cls: type) -> dict[str, Any]:
    """``--set KEY=VALUE`` items, each converted to its field's type."""
    types = {s.name: s.type_name for s in settings_of(config_cls)}
    out: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            raise ShenduError(f"--set takes KEY=VALUE with KEY one of {', '.join(sorted(types))}; got {item!r}."
                              + _did_you_mean(key, types))
        out[key] = convert(raw, types[key], f"--set {key}=")
    return out


def parse_options(args: list[str], config_cls: type, recipe: str, data: str) -> dict[str, Any]:
    """The recipe's own options among the command's extra arguments: ``--name VALUE``,
    ``--name=VALUE``, and ``--name`` / ``--no-name`` for true/false settings."""
    settings = {s.name: s for s in settings_of(config_cls)}
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or token == "--":
            raise ShenduError(f"`shendu train {recipe}` takes one RECIPE and options; got the extra argument "
                              f"{token!r}. Options come as --NAME VALUE (see `shendu train {recipe} --help`).")
        flag, sep, raw = token[2:].partition("=")
        name = flag.replace("-", "_")
        negated = name.startswith("no_") and name[3:] in settings and settings[name[3:]].is_bool
        if negated:
            name = name[3:]
        if name not in settings:
            known = ", ".join(s.flag for s in settings.values())
            raise ShenduError(f"recipe {recipe} takes no --{flag}.{_did_you_mean(name, settings, '--')} It trains on "
                              f"{data}; its options are {known} (see `shendu train {recipe} --help`).")
        setting = settings[name]
        if negated:
            if sep:
                raise ShenduError(f"--no-{flag[3:]} takes no value; got {token!r}.")
            out[name] = False
        elif sep:
            out[name] = convert(raw, setting.type_name, setting.flag)
        elif setting.is_bool:
            out[name] = True
        else:
            if i + 1 >= len(args):
                raise ShenduError(f"{setting.flag} needs a value ({setting.type_name}); got nothing after it.")
            i += 1
            out[name] = convert(args[i], setting.type_name, setting.flag)
        i += 1
    return out


def _did_you_mean(name: str, known: Any, prefix: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {prefix}{close[0].replace('_', '-') if prefix else close[0]}?" if close else ""


def resolve_settings(defaults: dict[str, Any], saved: dict[str, Any] | None = None,
                     sets: dict[str, Any] | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings a run trains with. Later sources win: the recipe's ``defaults``, then the
    ``saved`` settings of a run being resumed (which replace the defaults entirely), then
    ``--set KEY=VALUE``, then options given by name (``--epochs 5``, ``--symbol AAPL``)."""
    settings = dict(saved if saved is not None else defaults)
    settings.update(sets or {})
    settings.update(options or {})
    return settings

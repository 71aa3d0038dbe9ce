"""Package names imported on first use (PEP 562), so that importing a light submodule of a
package (``shendu.train.config``) does not import the heavy ones (torch, Lightning)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """A module ``__getattr__`` that imports ``names[name]`` (a module path) on first use, and
    the matching ``__all__``."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(names[name]), name)

    return __getattr__, sorted(names)

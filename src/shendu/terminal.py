"""Text that users and files supply, printed on a terminal: shown as written, never obeyed.

Labels, paths, file names, texts and error messages can hold anything a stranger put in a run
folder or on a command line. Printed raw, an ESC starts a terminal escape sequence (it can
recolour, move the cursor, rewrite the screen or set the window title), and ``[bold red]`` or
``[/]`` is Rich markup (it restyles the message, or raises a MarkupError). Everything the CLI
prints that it did not write itself goes through :func:`safe_text`; ``--json`` goes through
:func:`json_text`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rich.markup import escape

# C0 controls, DEL and C1 controls (an 8-bit CSI, 0x9b, starts a sequence on some terminals),
# the bidirectional overrides that make text display in another order than it is stored, and
# lone surrogates (valid in a JSON file as \udXXX escapes, but no UTF-8 can write them)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_NOT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_NOT_C0 = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")  # json.dumps escapes C0


def visible(char: str) -> str:
    """One control character as the escape Python writes for it: ``\\x1b``, ``\\n``, ``\\u202e``."""
    return repr(char)[1:-1] if char not in "\t\n\r" else {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[char]


def safe_text(value: Any, markup: bool = True, newlines: bool = False) -> str:
    """``str(value)`` safe to print: control characters as visible escapes (``\\x1b``) and, with
    ``markup`` (for a Rich console that renders markup, the default), Rich markup escaped so that
    ``[bold]`` prints as written. ``newlines``: keep line breaks (a message of several lines)."""
    text = (_CONTROL_NOT_NEWLINE if newlines else _CONTROL).sub(lambda m: visible(m.group()), str(value))
    return escape(text) if markup else text


def finite(value: Any) -> Any:
    """``value`` with every NaN and infinity (which JSON has no words for) replaced by ``None``,
    in nested dicts, lists and tuples, and numpy scalars made Python numbers."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if getattr(value, "shape", None) == () and hasattr(value, "item"):  # a numpy or torch scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: Any, indent: int | None = 2) -> str:
    """``value`` as strict JSON (RFC 8259): NaN and infinities as ``null``; non-ASCII text kept
    readable, but control characters (C1 and bidirectional overrides too) as ``\\u`` escapes."""
    text = json.dumps(finite(value), ensure_ascii=False, allow_nan=False, indent=indent)
    # outside strings JSON has only ASCII, so these can only be inside strings, where \u escapes mean them
    return _CONTROL_NOT_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

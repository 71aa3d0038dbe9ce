"""Reading the numbers a learner types (``1,2,3``, ``1,2,3/4,5,6``, ``28x28``) and writing them
back the way a hand calculation does (``2.3``, not ``2.3000000000000003``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from shendu.errors import ShenduError

Pair = tuple[int, int]
"""(height, width): a size, kernel, stride, padding or dilation of a 2-D window."""


class ExplainError(ShenduError, ValueError):
    """A number, list or matrix that cannot be read (``torch.tensor`` raises ValueError too)."""


class ShapeError(ShenduError, RuntimeError):
    """A window that does not fit (torch's conv and pool raise RuntimeError for these)."""


def parse_number(text: str, option: str) -> float:
    """One number; ``option`` names where it came from in the message."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ExplainError(f"{option} takes numbers such as 2, -0.5 or 1e-3; got {text.strip()!r}. "
                           "Write it with digits and a decimal point.") from None
    if not math.isfinite(value):
        raise ExplainError(f"{option} takes finite numbers; got {text.strip()!r}. Give an ordinary number.")
    return value


def parse_vector(text: str, option: str) -> list[float]:
    """``"1,2,3"`` -> ``[1.0, 2.0, 3.0]``."""
    items = [item for item in text.split(",")]
    if not text.strip() or any(not item.strip() for item in items):
        raise ExplainError(f"{option} takes numbers separated by commas (e.g. 1,2,3); got {text!r}. "
                           "Leave no item empty.")
    return [parse_number(item, option) for item in items]


def parse_matrix(text: str, option: str) -> list[list[float]]:
    """``"1,2,3/4,5,6"`` -> rows ``[[1, 2, 3], [4, 5, 6]]``; every row as long as the first."""
    rows = [parse_vector(row, option) for row in text.split("/")]
    lengths = [len(row) for row in rows]
    if len(set(lengths)) > 1:
        short = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise ExplainError(f"{option} must be a rectangle: rows separated by / , numbers by commas, every row "
                           f"as long as the first (e.g. 1,2,3/4,5,6/7,8,9); expected {lengths[0]} numbers in each "
                           f"row, got rows of {', '.join(map(str, lengths))} numbers (row {short + 1} has "
                           f"{lengths[short]}). Give every row {lengths[0]} numbers.")
    return rows


def parse_pair(text: str, option: str, minimum: int) -> Pair:
    """``"3"`` -> ``(3, 3)``; ``"28x32"`` -> ``(28, 32)``: (height, width), each at least ``minimum``."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        if len(parts) not in (1, 2):
            raise ValueError
        values = [int(part.strip()) for part in parts]
    except ValueError:
        raise ExplainError(f"{option} takes a whole number (3) or HEIGHTxWIDTH (28x32); got {text!r}.") from None
    pair = (values[0], values[-1])
    if min(pair) < minimum:
        what = {0: "negative", 1: "zero or negative"}.get(minimum, f"below {minimum}")
        raise ShapeError(f"{option} must be at least {minimum}; got {text!r} ({what}). "
                         + _pair_fix(option, minimum))
    return pair


def _pair_fix(option: str, minimum: int) -> str:
    if option == "--stride":
        return "A stride of 0 never moves the window (torch: 'non-positive stride is not supported'); use 1 or more."
    if option == "--padding":
        return "Padding adds zeros around the input (torch: 'negative padding is not supported'); use 0 or more."
    return f"Use {minimum} or more."


def fmt(value: float, digits: int = 4) -> str:
    """A number as a hand calculation writes it: whole numbers without a point, others rounded to
    ``digits`` decimals with trailing zeros dropped, tiny ones in scientific notation."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if math.isnan(value):
        return "nan"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if abs(value) < 0.5 * 10.0 ** -digits:
        return f"{value:.{max(digits - 1, 1)}e}"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed_sum(terms: Sequence[float], digits: int = 4) -> str:
    """``[0.2, 1.6, -1.5, 2]`` -> ``"0.2 + 1.6 - 1.5 + 2"``."""
    if not terms:
        return "0"
    text = fmt(terms[0], digits)
    for term in terms[1:]:
        text += f" - {fmt(-term, digits)}" if term < 0 else f" + {fmt(term, digits)}"
    return text


def paren(value: float, digits: int = 4) -> str:
    """A factor in a product: negatives in parentheses (``3 × (-0.5)``)."""
    text = fmt(value, digits)
    return f"({text})" if value < 0 else text


def pair_text(pair: Pair) -> str:
    """A stride, padding or dilation: ``2`` when both sides agree, else ``2x1``."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def shape_text(pair: Pair) -> str:
    """A size: always ``HxW`` (``3x3``)."""
    return f"{pair[0]}x{pair[1]}"

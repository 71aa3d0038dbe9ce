"""Fuzzing helpers: damaged variants of a good file, and a guarded call that says what went wrong.

A variant is a good file truncated, bit-flipped, with bytes inserted, deleted, overwritten or
repeated, or (for JSON and pickles) with one value swapped for one of another type. Each is
made from a seeded generator, so a failure names the variant's number and reproduces.

:func:`outcome` runs a loader on one variant under a time limit (SIGALRM: Python code, and C
code that checks for signals) and an address-space limit (``RLIMIT_AS``: any allocation beyond
what the process holds plus ``extra`` fails, so a size bomb cannot go unnoticed), and reports
anything but a clean load or a clear error of the expected class.
"""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import resource
import signal
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from shendu.errors import ShenduError

INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff" * 8, b"\x00" * 8,
               b"-1", b"1e999", b"NaN", b"\"", b"[", b"{", b"]", b"}"]
CONFUSERS: list[Any] = [None, True, False, 0, -1, 1, 255, 2**31, 2**63, -(2**63), 10**30, 1e308, -1e-308, 0.5, math.nan,
                        math.inf, -math.inf, "", "x", "3", "../../etc/passwd", "/etc/passwd", "\x1b[31m", "[/]",
                        "a" * 10_000, [], [1, 2, 3], ["a"], [None], {}, {"a": 1}, [[[[[]]]]]]


def seeded(name: str) -> np.random.Generator:
    """The generator of one loader's variants (the same every run)."""
    return np.random.default_rng(zlib.crc32(name.encode()))


# -- byte-level damage ------------------------------------------------------------------------------


def damaged(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """``data`` with one kind of damage; returns a description and the damaged bytes."""
    n = len(data)
    at = int(rng.integers(0, n + 1))
    kind = str(rng.choice(["truncate", "flip", "flip", "insert", "delete", "overwrite", "interesting", "repeat"]))
    if kind == "truncate":
        return f"truncated to {at} bytes", data[:at]
    if kind == "flip":
        out = bytearray(data)
        bits = rng.integers(0, 8 * n, size=int(rng.integers(1, 9)))
        for bit in bits:
            out[bit // 8] ^= 1 << (bit % 8)
        return f"bits {sorted(bits.tolist())} flipped", bytes(out)
    if kind == "insert":
        extra = rng.bytes(int(rng.integers(1, 65)))
        return f"{len(extra)} random bytes inserted at {at}", data[:at] + extra + data[at:]
    if kind == "delete":
        span = int(rng.integers(1, 65))
        return f"{span} bytes deleted at {at}", data[:at] + data[at + span:]
    if kind == "overwrite":
        patch = rng.bytes(int(rng.integers(1, 17)))
        return f"{len(patch)} bytes overwritten at {at}", data[:at] + patch + data[at + len(patch):]
    if kind == "interesting":
        patch = INTERESTING[int(rng.integers(len(INTERESTING)))]
        return f"{patch!r} written at {at}", data[:at] + patch + data[at + len(patch):]
    span = data[at : at + int(rng.integers(1, 257))]
    return f"{len(span)} bytes at {at} repeated 50 times", data[:at] + span * 50 + data[at:]


# -- value-level confusion (JSON documents, pickled dicts) ----------------------------------------------


def _places(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """The path of every value inside ``value`` (dict keys and list indices), the root excepted."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from _places(item, (*path, key))


def confused(document: Any, rng: np.random.Generator, confusers: list[Any] = CONFUSERS) -> tuple[str, Any]:
    """A deep copy of ``document`` (JSON-like) with one value replaced by one of ``confusers``,
    one key removed, or one list emptied."""
    document = pickle.loads(pickle.dumps(document))  # a deep copy that keeps numpy arrays
    places = list(_places(document))
    if not places:
        return "replaced whole", confusers[int(rng.integers(len(confusers)))]
    *parents, last = places[int(rng.integers(len(places)))]
    parent = document
    for key in parents:
        parent = parent[key]
    kind = str(rng.choice(["replace", "replace", "replace", "remove"]))
    where = "".join(f"[{k!r}]" for k in (*parents, last))
    if kind == "remove":
        del parent[last]
        return f"{where} removed", document
    value = confusers[int(rng.integers(len(confusers)))]
    parent[last] = value
    shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
    return f"{where} = {shown}", document


EDGE_JSON = [b"", b"null", b"[]", b'"x"', b"[" * 100_000 + b"]" * 100_000, b'{"a": 1' + b"0" * 5000 + b"}", b"NaN",
             b"\xef\xbb\xbf{}", b'{"a": "\\ud800"}', b"\xff\xfe{\x00}\x00", b'{"a": "' + b"x" * 1_000_000 + b'"}']


def json_variant(document: Any, rng: np.random.Generator) -> tuple[str, bytes]:
    """``document`` confused (:func:`confused`), or now and then a document that trips JSON
    readers themselves (too deep, a 5,000-digit number, a BOM, a lone surrogate, ...)."""
    if rng.random() < 0.1:
        edge = EDGE_JSON[int(rng.integers(len(EDGE_JSON)))]
        return f"edge case {edge[:24]!r}", edge
    what, changed = confused(document, rng)
    return what, json.dumps(changed, allow_nan=True).encode()


# -- guards -----------------------------------------------------------------------------------------


class Hang(Exception):
    """A loader ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


@contextlib.contextmanager
def memory_limit(extra: int) -> Iterator[None]:
    """No allocation past the address space in use now plus ``extra`` bytes succeeds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def unclear(message: str, names: tuple[str, ...]) -> str | None:
    """What keeps ``message`` from being one clear paragraph naming one of ``names``, if anything."""
    if not message.strip():
        return "an empty message"
    if "Traceback" in message or "\n\n" in message:
        return f"not one paragraph: {message[:300]!r}"
    if "weights_only=False" in message:
        return f"advises weights_only=False: {message[:300]!r}"
    if names and not any(name in message for name in names):
        return f"names none of {names}: {message[:300]!r}"
    return None


def outcome(load: Callable[[], Any], expected: type[ShenduError], names: tuple[str, ...] = (),
            seconds: float = 10.0, extra: int = 2 * 2**30) -> str | None:
    """``None`` when ``load()`` returns (its own checks of what it loaded passing) or raises
    ``expected`` with a clear message naming one of ``names``; otherwise what happened instead."""
    try:
        with memory_limit(extra), time_limit(seconds):
            load()
    except expected as exc:
        return unclear(str(exc), names)
    except Hang as exc:
        return f"a hang: {exc}"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 (what escapes is the finding: pyo3 panics are BaseExceptions)
        return f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:300]}"
    return None


def fuzz(name: str, count: int, variant: Callable[[np.random.Generator], tuple[str, Any]],
         attempt: Callable[[Any], Any], expected: type[ShenduError], names: tuple[str, ...] = ()) -> list[str]:
    """Run ``attempt`` on ``count`` variants; return one line per variant that was not refused
    clearly (with ``expected``) or loaded correctly."""
    rng = seeded(name)
    failures = []
    for index in range(count):
        what, data = variant(rng)
        problem = outcome(lambda data=data: attempt(data), expected, names)
        if problem is not None:
            failures.append(f"{name} #{index} ({what}): {problem}")
    return failures


def report(failures: list[str], count: int) -> str:
    return f"{len(failures)} of {count} variants were not refused clearly or loaded correctly:\n" + "\n".join(failures[:12])

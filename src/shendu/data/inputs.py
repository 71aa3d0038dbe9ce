"""Input files a user names on the command line: what a path that is no readable file is instead."""

from __future__ import annotations

import errno
from pathlib import Path

from shendu.errors import InputError


def input_file(path: Path | str, expected: str) -> Path:
    """``path`` as a Path, when it names a regular file; otherwise raise InputError.

    Args:
        path: what the user passed as INPUT.
        expected: what INPUT must be, for the message (``"an image file (PNG, JPEG, BMP, ...)"``).

    Raises:
        InputError: saying whether ``path`` is a folder (and what to pass instead), too long to be
            a file name (text or numbers given to a model that reads files), or not there.
    """
    path = Path(path)
    try:
        if path.is_file():
            return path
        found = "a folder; pass the files in it instead, e.g. FOLDER/*.png" if path.is_dir() else "no such file"
    except OSError as exc:  # ENAMETOOLONG and the like: no file can have this name
        found = ("too long to be a file name" if exc.errno == errno.ENAMETOOLONG
                 else f"not a readable file: {exc.strerror or type(exc).__name__}")
    shown = str(path) if len(str(path)) <= 80 else str(path)[:77] + "..."
    raise InputError(f"INPUT must be {expected}; got {shown} ({found}).")

"""User-facing errors.

Anything a user can cause (a bad name, a missing file, a corrupt checkpoint) raises a
:class:`ShenduError` whose message says what was expected, what was received and how to
fix it. The CLI prints it as one paragraph and exits non-zero, never with a traceback.
"""

from __future__ import annotations


class ShenduError(Exception):
    """An error caused by user input; its message is meant to be read by a person."""


class DataError(ShenduError, ValueError):
    """A data file or folder is missing or not in the expected format."""


class RunFolderError(ShenduError):
    """A run folder is missing a file, or a file in it is corrupt."""


class InputError(ShenduError, ValueError):
    """An input given to predict/evaluate is not what the model takes."""

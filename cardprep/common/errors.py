"""The one exception family both tools show to users.

Every error a user can cause or fix (a bad path, an unreadable file, a nonsense option) is a
:class:`UserError` with a one-line message naming the file and the problem; the CLI prints
it as ``error: <message>`` and exits 1 (:func:`cardprep.common.cli.user_errors`). Anything
else is a bug and keeps its traceback. Each package subclasses it (``CardprepError``,
``CardtrainError``); the shared layer raises it directly, or :class:`ImageError`.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input or environment, worded for the user in one line.

    Library functions raise it (never ``sys.exit``); commands print ``str(error)`` without
    a traceback.
    """


class ImageError(UserError):
    """An image file that cannot be used; the message names the file."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        # Picklable with its own arguments, so an error raised in a worker process arrives intact.
        return (type(self), (self.path, self.problem))

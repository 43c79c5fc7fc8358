"""The library's exception type: the CLI turns it into a one-line message and exit code 1."""

from __future__ import annotations

from pathlib import Path


class CardprepError(Exception):
    """A problem with the user's input or environment, worded for the user.

    Library functions raise it (never ``sys.exit``); commands print ``str(error)`` without
    a traceback.
    """


class ImageError(CardprepError):
    """An image file that cannot be used; the message names the file."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        # Picklable with its own arguments, so an error raised in a worker process arrives intact.
        return (type(self), (self.path, self.problem))

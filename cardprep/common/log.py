"""Where the packages' warnings go: stderr, as ``warning: <message>``, in every process that does
the work (the command's, and the worker processes of align, augment and simulate)."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# The loggers whose warnings (a skipped file, a suspicious option) a user must see.
_LOGGERS = ("cardprep", "cardtrain")


def is_main_process() -> bool:
    """False in the ranks > 0 of a torchrun job: they neither print nor draw bars."""
    return os.environ.get("RANK", "0") == "0"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes, not the one at creation (which
    a test runner, or a redirection, may since have closed)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def show_warnings() -> None:
    """Send the packages' log warnings to stderr as ``warning: ...`` (once per process); call it
    where a process starts: the CLI does, and so should a pool's worker initializer."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = _StderrHandler()  # stderr: stdout stays clean for the summary line
            handler.setFormatter(logging.Formatter("warning: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.WARNING if is_main_process() else logging.ERROR)

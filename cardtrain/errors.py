"""The library's exception type: the CLI turns it into a one-line message and exit code 1."""

from __future__ import annotations


class CardtrainError(Exception):
    """A problem with the user's input or environment, worded for the user.

    Library functions raise it (never ``sys.exit``); commands print ``str(error)`` with no
    traceback. Messages name the file and say what is wrong with it.
    """

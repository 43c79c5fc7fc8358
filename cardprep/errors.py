"""cardprep's exception type: the CLI turns it into a one-line message and exit code 1."""

from __future__ import annotations

from cardprep.common.errors import ImageError, UserError

__all__ = ["CardprepError", "ImageError"]


class CardprepError(UserError):
    """A problem with the user's input or environment found by cardprep, worded for the user."""

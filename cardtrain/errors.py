"""cardtrain's exception type: the CLI turns it into a one-line message and exit code 1."""

from __future__ import annotations

from cardprep.common.errors import UserError


class CardtrainError(UserError):
    """A problem with the user's input or environment found by cardtrain, worded for the user.

    Messages name the file and say what is wrong with it.
    """

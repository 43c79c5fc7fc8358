"""How align cuts its output, and what it does with a heart card that lay upside down.

Each field's help lives here once; ``cardprep align`` takes its options' defaults and help
from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cardprep.errors import CardprepError

SIZE_RANGE = (32, 8192)  # output side, px: below, no pip is legible; above, no photo has the detail


class Frame(str, Enum):
    PHOTO = "photo"
    CARD = "card"


class OnFlip(str, Enum):
    FIX = "fix"
    FLAG = "flag"
    SKIP = "skip"


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class AlignConfig:
    frame: Frame = _opt(Frame.PHOTO, "photo: A's photo cut square around the card (card ~70% of it), B warped "
                                     "into it; card: both rectified to the model's square card frame, the card "
                                     "stretched to fill it with a 6% margin of table (cardprep.card_frame).")
    size: int = _opt(512, f"Output side in pixels, {SIZE_RANGE[0]} to {SIZE_RANGE[1]} "
                          "(the output is square in both frames).")
    on_flip: OnFlip = _opt(OnFlip.FIX, "A heart card laid upside down: fix (turn it, keep its table), flag "
                                       "(write as photographed, flag it) or skip (fail the pair).")

    def __post_init__(self) -> None:
        low, high = SIZE_RANGE
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not low <= self.size <= high:
            raise CardprepError(f"size must be a whole number of pixels from {low} to {high}, got {self.size!r}")
        for name, kind in (("frame", Frame), ("on_flip", OnFlip)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                choices = ", ".join(c.value for c in kind)
                raise CardprepError(f"{name} must be one of {choices}, got {value!r}")


def field_help() -> dict[str, str]:
    """The help text of every field, for the CLI."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(AlignConfig)}

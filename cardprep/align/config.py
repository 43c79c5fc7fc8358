"""How align cuts its output, and what it does with a heart card that lay upside down.

Each field's help lives here once; ``cardprep align`` takes its options' defaults and help
from it. A run records its resolved config in ``OUT/align.json`` (``RECORD``), so that what
reads the folder later (``cardprep augment``) knows the frame its pairs are in.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from cardprep import __version__
from cardprep.common.atomic import atomic_write_json
from cardprep.errors import CardprepError

RECORD = "align.json"

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


@dataclass(frozen=True)
class Overrides:
    """The user's word on orientation for named pairs, over what the pips say: ``turn`` (B's
    card lay upside down) and ``keep`` (it lay as A's). For the pairs report.html flags
    "orientation uncertain", after a look at both candidates it pictures."""

    turn: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        both = self.turn & self.keep
        if both:
            raise CardprepError(f"--turn and --keep both name {', '.join(sorted(both))}; name each pair once")

    def check_known(self, stems: set[str]) -> None:
        """Refuse names that are no pair of the folder (a typo would silently change nothing)."""
        unknown = (self.turn | self.keep) - stems
        if unknown:
            raise CardprepError(f"--turn/--keep name {', '.join(sorted(unknown))}, which is not a pair in the "
                                "photo folder (give the file stems, e.g. 07-8)")

    def for_pair(self, stem: str) -> bool | None:
        """True: turn B; False: keep B as it lies; None: let the pips decide."""
        return True if stem in self.turn else False if stem in self.keep else None


def field_help() -> dict[str, str]:
    """The help text of every field, for the CLI."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(AlignConfig)}


def write_record(folder: Path, config: AlignConfig) -> None:
    """``folder/align.json``: the run's resolved config and the cardprep version that wrote it."""
    atomic_write_json(folder / RECORD, {"frame": config.frame.value, "size": config.size,
                                        "on_flip": config.on_flip.value, "cardprep": __version__})


def read_record(folder: Path) -> AlignConfig | None:
    """The config ``folder``'s align run recorded; None when it has no align.json (an older
    align, or pairs made by hand). A damaged record is a CardprepError naming it."""
    path = folder / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CardprepError(f"{path}: not a readable align record ({error})") from None
    try:
        return AlignConfig(frame=Frame(record["frame"]), size=record["size"], on_flip=OnFlip(record["on_flip"]))
    except CardprepError as error:
        raise CardprepError(f"{path}: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise CardprepError(f"{path}: not an align record ({type(error).__name__}: {error})") from None

"""What align makes of a pair: its report row (Contract 2), its images, and the run's summary.

The report.csv columns are the fields of ``AlignResult``, in their order: a field added here
is a column, with nothing else to keep in step.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from cardprep.geometry import format_floats


class Status(str, Enum):
    OK = "ok"
    FLAGGED = "flagged"  # written, but a check asks for a look
    FAILED = "failed"  # not written


@dataclass(frozen=True, kw_only=True)
class AlignResult:
    """One report row (Contract 2) and what the report page shows beside it."""

    pair: str = ""  # the stem; the per-pair pipeline leaves it to the folder runner
    status: Status
    reason: str = ""  # empty for ok, otherwise a sentence for a person
    homography: np.ndarray | None = None  # a_from_b, RAW B photo pixels -> RAW A photo pixels
    orientation: int = 0  # 0 or 180: B's card turned relative to A's
    orientation_confidence: float = float("nan")  # 0..1 from the pips; 1 when turning changes nothing
    orientation_source: str = ""  # "pips", or the user's "--turn" / "--keep"
    score: float = float("nan")  # ECC correlation on the card, 0..1
    rank: str = ""  # A's rank from its pips
    rank_b: str = ""
    residual_px: float = float("nan")  # how far ECC moved the outline estimate (worst corner)
    seconds: float = 0.0
    a_file: str = ""  # absolute path of the A photo
    b_file: str = ""

    def row(self) -> dict[str, str]:
        """The report.csv row: every field as text, numbers rounded as the report shows them."""
        return {f.name: _text(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)}


COLUMNS = tuple(f.name for f in dataclasses.fields(AlignResult))
_DIGITS = {"score": 4, "orientation_confidence": 2, "residual_px": 3, "seconds": 2}


def _text(name: str, value: object) -> str:
    if isinstance(value, Status):
        return value.value
    if isinstance(value, np.ndarray):
        return format_floats(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{_DIGITS[name]}f}"
    return str(value)


@dataclass(frozen=True)
class AlignedImages:
    """A pair in the output frame (Contract 2), and the overlay the report shows."""

    a: np.ndarray  # (H, W, 3) uint8 BGR
    b: np.ndarray
    overlay: np.ndarray
    other_b: np.ndarray | None = None  # B the other way round, when the orientation is uncertain


@dataclass(frozen=True)
class AlignSummary:
    out: Path
    results: tuple[AlignResult, ...]
    seconds: float

    @property
    def counts(self) -> dict[Status, int]:
        return counts(self.results)

    def line(self) -> str:
        return f"{tally(self.results)} in {self.seconds:.1f} s -> {self.out}"


def counts(results: Sequence[AlignResult]) -> dict[Status, int]:
    return {s: sum(r.status is s for r in results) for s in Status}


def tally(results: Sequence[AlignResult]) -> str:
    """'13 pairs: 12 ok, 1 flagged, 0 failed'."""
    pairs = "1 pair" if len(results) == 1 else f"{len(results)} pairs"
    return f"{pairs}: " + ", ".join(f"{n} {s.value}" for s, n in counts(results).items())

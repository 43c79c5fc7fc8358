"""Reading a card's face: its pips, rank, suit colour, and how B lies relative to A.

Everything works on the card rectified to an upright 63 x 88 mm frame. Orientation is found by
comparing the two cards' pip layouts rather than by knowing any deck: B's pips (position and
which way up each one points) either match A's as they lie or match them after a half turn.
Even ranks match both ways equally (their layouts are point-symmetric) and keep orientation 0;
A, 3, 5, 7 and 9 do not, which is exactly when a card laid the wrong way round matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

PX_PER_MM = 5.0
_PIP_ZONE_MM = (10.5, 10.5, CARD_WIDTH_MM - 10.5, CARD_HEIGHT_MM - 10.5)  # clear of the indices
_INK = 0.4  # of the paper's white: darker or more coloured than this is ink
_MIN_PIP_MM2 = 12.0
_FACE_WIDTH_MM = 32.0  # one ink shape this wide is a face panel, not a pip (an ace's is 26)
_RED = 0.25  # (R - max(G, B)) / paper white: above this a pip is red
_DARK = 0.12  # below this it is black


@dataclass(frozen=True)
class Pip:
    x: float  # centre, card mm
    y: float
    upright: bool  # the symbol's point or stem is at the bottom


@dataclass(frozen=True)
class CardFace:
    pips: tuple[Pip, ...]
    face: bool  # a face panel (J, Q, K) rather than pips
    redness: float  # median over pip pixels of (R - max(G, B)) / paper white; nan without pips

    @property
    def rank(self) -> str:
        if self.face:
            return "face"
        count = len(self.pips)
        return {1: "A"}.get(count, str(count)) if 1 <= count <= 10 else "unknown"

    @property
    def colour(self) -> str:
        if not np.isfinite(self.redness):
            return "none"
        return "red" if self.redness > _RED else "black" if self.redness < _DARK else "unclear"


def card_from_photo(corners: np.ndarray) -> np.ndarray:
    """Homography from photo pixels to the rectified card (``PX_PER_MM``), corner 0 top-left."""
    width, height = CARD_WIDTH_MM * PX_PER_MM, CARD_HEIGHT_MM * PX_PER_MM
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64) - 0.5
    return geometry.quad_homography(corners, target)


def rectify(photo: np.ndarray, card_from: np.ndarray) -> np.ndarray:
    size = (round(CARD_WIDTH_MM * PX_PER_MM), round(CARD_HEIGHT_MM * PX_PER_MM))
    return cv2.warpPerspective(photo, card_from, size, flags=cv2.INTER_LINEAR)


def read_face(card: np.ndarray) -> CardFace:
    """Pips (or a face panel) and their colour on a rectified card image (BGR)."""
    x0, y0, x1, y1 = (round(v * PX_PER_MM) for v in _PIP_ZONE_MM)
    zone = card[y0:y1, x0:x1].astype(np.float32)
    darkest = zone.min(axis=2)
    white = max(float(np.percentile(darkest, 90)), 1.0)
    ink = (darkest < (1 - _INK) * white).astype(np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    min_area = _MIN_PIP_MM2 * PX_PER_MM**2
    pips, face, inked = [], False, np.zeros(ink.shape, bool)
    for label in range(1, count):
        left, top, width, height, area = stats[label]
        if area < min_area:
            continue
        if width > _FACE_WIDTH_MM * PX_PER_MM:
            face = True
            continue
        shape = labels[top:top + height, left:left + width] == label
        rows = np.nonzero(shape)[0].astype(np.float64)
        # Both suits are wide at the top (lobes) and taper to a point or stem at the bottom:
        # upright, the rows' distribution has its long tail downward (positive skew).
        upright = np.mean((rows - rows.mean()) ** 3) > 0
        cx, cy = centroids[label]
        pips.append(Pip((cx + x0 + 0.5) / PX_PER_MM, (cy + y0 + 0.5) / PX_PER_MM, bool(upright)))
        inked |= labels == label
    if face:
        pips = []  # shapes inside a face panel are the figure's, and their colours tell nothing
    redness = float("nan")
    if pips:
        blue, green, red = (zone[..., i][inked] for i in range(3))
        redness = float(np.median(red - np.maximum(green, blue)) / white)
    return CardFace(tuple(sorted(pips, key=lambda p: (round(p.y), p.x))), face, redness)


def half_turn_fits_better(a: CardFace, b: CardFace) -> bool:
    """Whether B's pips match A's better after turning B by 180 degrees in its own plane."""
    if not a.pips or not b.pips:
        return False
    turned = tuple(Pip(CARD_WIDTH_MM - p.x, CARD_HEIGHT_MM - p.y, not p.upright) for p in b.pips)
    return _mismatch(a.pips, turned) < _mismatch(a.pips, b.pips) - 1.0


def _mismatch(reference: tuple[Pip, ...], other: tuple[Pip, ...]) -> float:
    """Sum, both ways, of the distance (mm) to the nearest pip, plus 5 mm when it points the other way."""
    def one_way(from_: tuple[Pip, ...], to: tuple[Pip, ...]) -> float:
        total = 0.0
        for p in from_:
            total += min(np.hypot(p.x - q.x, p.y - q.y) + 5.0 * (p.upright != q.upright) for q in to)
        return total

    return one_way(reference, other) + one_way(other, reference)

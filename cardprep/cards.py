"""Reading a card's face: its ink, pips, face panel, rank and suit colour.

Everything works on the card rectified to an upright 63 x 88 mm frame, at any scale, and
reads what every standard deck has rather than one deck's drawing: ink against the paper's own
white, pips as the solid shapes between the indices (ornaments, border lines and index glyphs
left out), a face panel as one large solid shape. How B lies relative to A is ``orient``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

PX_PER_MM = 5.0
_INSET_MM = 2.0  # ink this close to the edge is the card's border, frame or the table
_CORNER_MM = (12.0, 10.0)  # pips' centres keep this far from the long and short edges (indices)
_WHITE_WINDOW_MM = 18.0  # the paper's white: the darkest channel closed over a window this wide
INK = 0.4  # of the paper's white: darker or more coloured than this is ink
_MIN_PIP_MM2 = 6.0
_MIN_FILL = 0.3  # of its bounding box: pips fill 0.38 (diamond) to 0.65 (heart), wreaths 0.2
_ORNAMENT = 0.35  # of the largest pip's area: smaller shapes are ornaments (an ace's wreath)
_FACE_MM = 34.0  # a solid shape this wide or tall is a face panel, not a pip (an ace's is 26)
_FACE_INK = 0.2  # pale figures: ink this faint counts when looking for a face panel
_FACE_INSET_MM = 4.0  # border lines lie outside this, face panels mostly inside
_FACE_GAP_MM = 1.4  # gaps narrower than this within a figure are closed to find it whole
_FACE_MIN_MM = 15.0  # and a face panel is at least this wide both ways
_FACE_FILL = 0.15  # of its box: a face panel's ink fills more, a frame line along the edges less
_RED = 0.25  # (R - max(G, B)) / paper white: above this a pip is red
_DARK = 0.12  # below this it is black


@dataclass(frozen=True)
class Pip:
    x: float  # centre, card mm
    y: float
    box: tuple[int, int, int, int]  # left, top, width, height in the card image's pixels


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


def ink_map(card: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ink in [0, 1] (0 paper, 1 no light in the darkest channel) and the paper's white, per pixel.

    The white is the darkest channel closed over a window wider than a pip, smoothed: a light
    gradient across the card then dims ink and paper alike instead of pushing paper over the
    ink threshold on the dark side. The darkest channel makes red, green and blue ink alike.
    """
    darkest = card.min(axis=2).astype(np.float32)
    small = cv2.resize(darkest, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(3, round(_WHITE_WINDOW_MM * px_per_mm(card) / 4))
    # a closing fills every shape narrower than the window with the paper around it and,
    # unlike the window's plain maximum, keeps a gradient's slope
    white = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    white = cv2.blur(white, (k // 2 + 1, k // 2 + 1))
    white = np.maximum(cv2.resize(white, darkest.shape[::-1], interpolation=cv2.INTER_LINEAR), 1.0)
    return np.clip(1.0 - darkest / white, 0.0, 1.0), white


def read_face(card: np.ndarray) -> CardFace:
    """Pips (or a face panel) and their colour on a rectified card image (BGR, any scale).

    Shapes touching the card's border band are its frame or the table; shapes centred in the
    index corners are indices; shapes much smaller than the largest are ornaments.
    """
    ink, white = ink_map(card)
    scale = px_per_mm(card)
    mask = (ink > INK).astype(np.uint8)
    inset = max(1, round(_INSET_MM * scale))
    mask[:inset], mask[-inset:], mask[:, :inset], mask[:, -inset:] = 0, 0, 0, 0
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    face, candidates = _has_face_panel(ink > _FACE_INK, scale), []
    for label in range(1, count):
        left, top, w, h, area = stats[label]
        if min(left, top) > inset and left + w < width - inset and top + h < height - inset:
            cx, cy = (centroids[label] + 0.5) / scale
            margin_x, margin_y = _CORNER_MM
            solid = area >= _MIN_PIP_MM2 * scale**2 and area >= _MIN_FILL * w * h
            if solid and margin_x < cx < CARD_WIDTH_MM - margin_x and margin_y < cy < CARD_HEIGHT_MM - margin_y:
                candidates.append(label)
    if face or not candidates:
        # shapes inside a face panel are the figure's, and their colours tell nothing
        return CardFace((), face, float("nan"))
    largest = max(stats[label][4] for label in candidates)
    labels_kept = [label for label in candidates if stats[label][4] >= _ORNAMENT * largest]
    pips = [_pip(stats[label], centroids[label], scale) for label in labels_kept]
    inked = np.isin(labels, labels_kept)
    blue, green, red = (card[..., i][inked].astype(np.float32) for i in range(3))
    redness = float(np.median((red - np.maximum(green, blue)) / white[inked]))
    return CardFace(tuple(sorted(pips, key=lambda p: (round(p.y), p.x))), False, redness)


def _has_face_panel(faint: np.ndarray, scale: float) -> bool:
    """Whether one solid shape of faint ink, gaps under ``_FACE_GAP_MM`` closed, is a face panel.

    Faint ink and closed gaps keep a pale figure whole when its thin frame fades in a photo; the
    wider border band leaves out the card's border lines, which would join the indices to them.
    """
    inset = round(_FACE_INSET_MM * scale)
    mask = np.zeros(faint.shape, np.uint8)
    mask[inset:-inset, inset:-inset] = faint[inset:-inset, inset:-inset]
    k = max(1, round(_FACE_GAP_MM * scale)) | 1
    joined = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    sides = np.sort(stats[1:, 2:4], axis=1)
    large = (sides[:, 1] > (_FACE_MM + _FACE_GAP_MM) * scale) & (sides[:, 0] > _FACE_MIN_MM * scale)
    filled = stats[1:, 4] >= _FACE_FILL * stats[1:, 2] * stats[1:, 3]  # not a hollow frame
    return bool(np.any(large & filled))


def _pip(stat: np.ndarray, centroid: np.ndarray, scale: float) -> Pip:
    left, top, width, height, _ = (int(v) for v in stat)
    cx, cy = (centroid + 0.5) / scale
    return Pip(float(cx), float(cy), (left, top, width, height))


def px_per_mm(card: np.ndarray) -> float:
    """The scale of a rectified card image, which spans the card's width exactly."""
    return card.shape[1] / CARD_WIDTH_MM

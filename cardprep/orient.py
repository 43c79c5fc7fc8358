"""Which way B's card lies relative to A's, from evidence every standard deck carries.

Input: A and B rectified into the same upright card frame (B mapped through the outline
homography), so B's card matches A's either as it lies or after a half turn in its plane.
The two cards are compared with each other, not with a model of one deck's pips:

- layout: where the pips are. A 7's extra pip sits in one half; suit and design do not matter.
- direction: each pip against its own card's corner-index suit symbol. The index at the
  top-left, and the bottom-right one read turned, stand upright whichever way the card lies,
  so a pip matches that symbol either upright or turned. A half turn of B reverses every
  direction of B's pips, so the hypothesis whose B directions agree with A's wins.

A card that looks the same turned (even ranks with point-symmetric pips, a diamond's pips,
double-headed face art) gives no evidence and needs none: ``matters`` is False and B is kept as
it lies. When it matters and the evidence is weak, B is kept with a low confidence, for the
pipeline to flag: never a silent guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from cardprep.cards import INK, CardFace, ink_map, px_per_mm, read_face
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

CONFIDENT = 0.8  # below this confidence a decision that matters is "orientation uncertain"
_INDEX_MM = (15.0, 40.0)  # the corner searched for the index's suit symbol: width, height
_MIN_SYMBOL_PX = 5  # index shapes smaller than this across are specks
_ASPECT = 0.25  # log of the widest aspect ratio between a pip and a symbol it may be
_MATCH_MM = 6.0  # pips farther apart than this are not the same pip
_UNMATCHED_MM = 8.0  # layout cost of a pip with no partner
_LAYOUT_SLACK_MM = 3.0  # designs place pips a little off point symmetry: no cost within this
_UNLIKE, _LIKE = 0.7, 0.85  # correlation of a pip with the symbol: no weight below, full above
_DIRECTION_FLOOR = 0.12  # symbol contrast with its half turn below which a suit has no direction
_DIRECTION_CAP = 1.5  # one pip, however clear, counts at most this much
_LAYOUT_WEIGHT = 0.15  # direction agreement per mm of layout cost
_EVIDENCE_SCALE = 0.6  # evidence giving confidence 1 - 1/e
_SYMMETRIC = 0.35  # self-evidence (a card against itself turned) below this: turning changes nothing
_CLEAR = 0.5  # median pip direction of the clearer card needed to call a card the same turned
_LIGHT_MM = 4.0  # light varies over more than this, face art's detail over less
_ART_SHIFT_MM = 1.5  # art this far off the card's centre still counts as the same turned
# Faces correlating this well with their half turn look the same. Measured at twice the bench's
# nuisance: double-headed faces 0.96-0.997; pip cards one pip apart 0.82-0.88; a one-way figure 0.48.
_FACE_SYMMETRIC = 0.9


@dataclass(frozen=True)
class OrientationDecision:
    """Whether to turn B by a half turn to match A, and how sure that is.

    ``matters`` is False when the card looks the same turned: then ``turn`` is False and the
    output is the same either way. ``confidence`` is in [0, 1]; a decision that matters with a
    confidence below ``CONFIDENT`` keeps B as it lies and should be flagged.
    """

    turn: bool
    confidence: float
    evidence: str
    matters: bool

    @property
    def uncertain(self) -> bool:
        return self.matters and self.confidence < CONFIDENT


@dataclass(frozen=True)
class _Reading:
    """One card's pip centres (mm), their directions (> 0 upright against the index) and faces."""

    face: CardFace
    xy: np.ndarray  # (N, 2)
    direction: np.ndarray  # (N,)
    symmetry: float  # face cards: correlation of the look with its half turn; nan otherwise


def decide_orientation(card_a: np.ndarray, card_b: np.ndarray, *,
                       faces: tuple[CardFace, CardFace] | None = None) -> OrientationDecision:
    """Decide whether B (BGR, in A's rectified card frame) lies turned relative to A.

    ``faces``: ``cards.read_face`` of both cards when the caller has read them already.
    """
    face_a, face_b = faces or (read_face(card_a), read_face(card_b))
    a, b = _read(card_a, face_a), _read(card_b, face_b)
    if a.face.face or b.face.face:
        return _face_decision(a, b)
    if not len(a.xy) or not len(b.xy):
        return OrientationDecision(False, 0.0, "no pips found on A or B", True)
    asymmetry = max(_evidence(a, a), _evidence(b, b))
    evidence = -_evidence(a, b)  # > 0: B fits A better turned
    if asymmetry < _SYMMETRIC:
        # only pips whose directions read clearly can show that the card looks the same turned
        clarity = max(float(np.median(np.abs(a.direction))), float(np.median(np.abs(b.direction))))
        if clarity < _CLEAR:
            return OrientationDecision(False, 0.0, f"pip directions unreadable (clarity {clarity:.2f})", True)
        return OrientationDecision(False, 1.0, f"looks the same turned (asymmetry {asymmetry:.2f})", False)
    confidence = float(1.0 - np.exp(-abs(evidence) / _EVIDENCE_SCALE))
    turn = bool(evidence > 0 and confidence >= CONFIDENT)
    return OrientationDecision(turn, confidence, f"evidence {evidence:+.2f}, asymmetry {asymmetry:.2f}", True)


def _read(card: np.ndarray, face: CardFace) -> _Reading:
    if face.face:
        return _Reading(face, np.zeros((0, 2)), np.zeros(0), _half_turn_correlation(card))
    ink, _ = ink_map(card)
    # box centres, not centroids: a pip's box centre stays put when the pip is turned
    scale = px_per_mm(card)
    xy = np.array([((x + w / 2) / scale, (y + h / 2) / scale) for x, y, w, h in (p.box for p in face.pips)])
    xy = xy.reshape(-1, 2)
    return _Reading(face, xy, _directions(ink, face), float("nan"))


def _evidence(a: _Reading, b: _Reading) -> float:
    """How much better B fits A as it lies than turned: direction agreement plus layout (mm)."""
    turned_xy = np.array([CARD_WIDTH_MM, CARD_HEIGHT_MM]) - b.xy
    as_lies = _fit(a.xy, a.direction, b.xy, b.direction)
    turned = _fit(a.xy, a.direction, turned_xy, -b.direction)
    return as_lies - turned


def _fit(xy_a: np.ndarray, dir_a: np.ndarray, xy_b: np.ndarray, dir_b: np.ndarray) -> float:
    """Direction agreement of paired pips minus the layout cost of the pairing."""
    distance = np.linalg.norm(xy_a[:, None] - xy_b[None], axis=2)
    rows, cols = linear_sum_assignment(np.minimum(distance, _UNMATCHED_MM))
    paired = distance[rows, cols] < _MATCH_MM
    unpaired = len(xy_a) + len(xy_b) - 2 * paired.sum()
    layout = np.maximum(distance[rows, cols][paired] - _LAYOUT_SLACK_MM, 0.0).sum() + _UNMATCHED_MM * unpaired
    agreement = float(np.sum(dir_a[rows[paired]] * dir_b[cols[paired]]))
    return agreement - _LAYOUT_WEIGHT * layout


def _directions(ink: np.ndarray, face: CardFace) -> np.ndarray:
    """Per pip: how much better it matches its card's index suit symbol upright than turned.

    Read in both index corners (the bottom-right one turned, so both stand upright) and summed.
    The symbol is the corner's ink shape that the pips match best either way. Directions are
    in units of how different the symbol looks turned, capped: a heart's point tells upright
    from turned far more clearly than a club's stem, and a diamond not at all, so a clear pip
    scores about 1 whatever the suit, and a card whose symbol is the same turned (below the
    floor) scores near 0. A pip that looks like neither the symbol nor its half turn (smudged,
    or matched only to a rank glyph) is weighted down to nothing.
    """
    templates = [ink[top:top + height, left:left + width] for left, top, width, height in (p.box for p in face.pips)]
    directions, contrast = np.zeros(len(templates)), 0.0
    for corner in _index_corners(ink, face):
        best_likeness, best_scores, symbol = 0.0, None, None
        for blob in _corner_blobs(corner):
            scores = np.array([_up_and_turned(t, blob) for t in templates])  # (N, 2): upright, turned
            if scores.max(axis=1).mean() > best_likeness:
                best_likeness, best_scores, symbol = scores.max(axis=1).mean(), scores, blob
        if symbol is not None:
            likeness = np.clip((best_scores.max(axis=1) - _UNLIKE) / (_LIKE - _UNLIKE), 0.0, 1.0)
            directions += likeness * (best_scores[:, 0] - best_scores[:, 1])
            contrast += 1.0 - _correlation(symbol, symbol[::-1, ::-1])
    return np.clip(directions / max(contrast, _DIRECTION_FLOOR), -_DIRECTION_CAP, _DIRECTION_CAP)


def _index_corners(ink: np.ndarray, face: CardFace) -> list[np.ndarray]:
    """The top-left corner and the bottom-right one turned, with the pips blanked out."""
    scale = px_per_mm(ink)
    blank = ink.copy()
    for pip in face.pips:
        left, top, width, height = pip.box
        blank[top:top + height, left:left + width] = 0.0
    w, h = round(_INDEX_MM[0] * scale), round(_INDEX_MM[1] * scale)
    return [blank[:h, :w], blank[-h:, -w:][::-1, ::-1]]


def _corner_blobs(corner: np.ndarray) -> list[np.ndarray]:
    """The ink shapes of one corner, each cropped to its box (the rank's glyphs, the suit's symbol)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((corner > INK).astype(np.uint8), connectivity=8)
    blobs = []
    rows, cols = corner.shape
    for left, top, width, height, _ in stats[1:]:
        whole = left > 0 and top > 0 and left + width < cols and top + height < rows
        if whole and min(width, height) >= _MIN_SYMBOL_PX:
            blobs.append(corner[top:top + height, left:left + width])
    return blobs


def _up_and_turned(template: np.ndarray, blob: np.ndarray) -> tuple[float, float]:
    """Correlation of ``template`` scaled onto ``blob``, upright and turned; 0 if their aspects differ."""
    if abs(np.log(blob.shape[1] / blob.shape[0] * template.shape[0] / template.shape[1])) >= _ASPECT:
        return 0.0, 0.0
    small = cv2.resize(template, blob.shape[::-1], interpolation=cv2.INTER_AREA)
    return _correlation(small, blob), _correlation(small[::-1, ::-1], blob)


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / norm) if norm > 1e-9 else 0.0


def _half_turn_correlation(card: np.ndarray) -> float:
    """Correlation of the card's look with its own half turn, inside the border band.

    On the log of the brightness less its blur over a few millimetres: what is left is the
    art's detail, while light that varies across the card (a gradient, a vignette, a soft
    shadow) is gone, and would otherwise make any art look different turned. The best over
    shifts up to ``_ART_SHIFT_MM``, which registration takes up.
    """
    scale = px_per_mm(card)
    inset = round(3.0 * scale)
    grey = np.log(cv2.cvtColor(card, cv2.COLOR_BGR2GRAY).astype(np.float32) + 8.0)[inset:-inset, inset:-inset]
    detail = cv2.GaussianBlur(grey, (0, 0), 0.5 * scale) - cv2.GaussianBlur(grey, (0, 0), _LIGHT_MM * scale)
    # art printed a little off the card's centre looks the same turned but shifted: allow that
    m = round(_ART_SHIFT_MM * scale)
    turned = np.ascontiguousarray(detail[::-1, ::-1][m:-m, m:-m])
    return float(cv2.matchTemplate(detail, turned, cv2.TM_CCOEFF_NORMED).max())


def _face_decision(a: _Reading, b: _Reading) -> OrientationDecision:
    """Face cards: their double-headed art usually looks the same turned; if not, say so."""
    if not (a.face.face and b.face.face):
        return OrientationDecision(False, 0.0, "one card reads as a face card, the other not", True)
    symmetry = min(a.symmetry, b.symmetry)
    if symmetry >= _FACE_SYMMETRIC:
        return OrientationDecision(False, 1.0, f"face art looks the same turned ({symmetry:.2f})", False)
    return OrientationDecision(False, 0.0, f"face art differs turned ({symmetry:.2f}) and gives no direction", True)

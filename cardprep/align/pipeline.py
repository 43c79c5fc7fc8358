"""One pair through align, in memory: find the card in both photos, lay B on A, decide B's
orientation, refine with ECC, check, and cut both photos the same way (Contract 2).

``align_pair`` reads and writes no file, so tests and notebooks call it on arrays; the folder
runner (``cardprep.align.folder``) does the reading, the writing and the workers. A pair that
cannot be done is a failed result with its reason, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import card_frame, cards, geometry, warp
from cardprep.align.config import AlignConfig, Frame, OnFlip
from cardprep.align.result import AlignedImages, AlignResult, Status
from cardprep.detect import CardNotFound, CardOutline, find_card
from cardprep.orient import OrientationDecision, decide_orientation
from cardprep.register import EccFailed, outline_homography, refine

PHOTO_CARD_SHARE = 0.7  # --frame photo: the card's long side over the crop's side
MIN_SCORE = 0.85  # ECC correlation below this flags the pair
# Below this card length (px) the pips are read wrong: on simulated odd cards, B's turn was
# misread at 33-42 px and read right in every pair tried from 53 px up.
MIN_CARD_PX = 80


@dataclass(frozen=True)
class Orientation:
    """How B's card lies relative to A's: the decision taken, and the faces read to make it."""

    turned: bool  # B's card lay upside down (a half turn in its own plane)
    face_a: cards.CardFace
    face_b: cards.CardFace
    decision: OrientationDecision  # what the pips say, with its confidence
    source: str  # "pips", or the user's "--turn" / "--keep"

    @property
    def uncertain(self) -> bool:
        """The pips could not tell and nobody said: the pair needs a look."""
        return self.source == "pips" and self.decision.uncertain


def align_pair(photo_a: np.ndarray, photo_b: np.ndarray, config: AlignConfig = AlignConfig(), *,
               turn: bool | None = None) -> tuple[AlignResult, AlignedImages | None]:
    """Register B onto A and cut both; images are None when the pair failed.

    ``turn``: the user's word on B's orientation (True: it lay upside down, False: as A's);
    None lets the pips decide.
    """
    try:
        outline_a = _find(photo_a, "A")
        outline_b = _find(photo_b, "B")
    except CardNotFound as error:
        return AlignResult(status=Status.FAILED, reason=str(error)), None
    to_a, corners_b = outline_homography(outline_a.corners, outline_b.corners)
    orientation = orient(photo_a, photo_b, outline_a.corners, to_a, turn=turn)
    turn_b = geometry.half_turn(corners_b)
    degrees = 180 if orientation.turned else 0
    try:
        registration = refine(photo_a, photo_b, outline_a.corners, to_a @ turn_b if orientation.turned else to_a,
                              tolerance_px=max(3.0, 0.01 * outline_a.long_side))
    except EccFailed as error:
        return AlignResult(status=Status.FAILED, reason=str(error), orientation=degrees), None

    a_from_b = registration.a_from_b
    found = dict(homography=a_from_b, orientation=degrees, score=registration.score,
                 orientation_confidence=orientation.decision.confidence, orientation_source=orientation.source,
                 rank=orientation.face_a.rank, rank_b=orientation.face_b.rank, residual_px=registration.residual_px)
    if orientation.turned and config.on_flip is OnFlip.SKIP:
        return AlignResult(status=Status.FAILED, reason="B's card lay upside down; skipped (--on-flip skip)",
                           **found), None
    notes = _checks(orientation.face_a, orientation.face_b, registration.score)
    if orientation.uncertain:
        notes.append(f"orientation uncertain ({orientation.decision.evidence}): B kept as it lay; if the other "
                     "picture in report.html is right, rerun with --turn <pair>")
    if orientation.turned and config.on_flip is OnFlip.FLAG:
        notes.append("B's card lay upside down; written as photographed (--on-flip flag)")
    # The card's content maps by a_from_b; B's table around it by the same map without the turn.
    background = a_from_b @ turn_b if orientation.turned else a_from_b
    card_map = background if config.on_flip is OnFlip.FLAG else a_from_b
    image_a, image_b, outline = cut_pair(photo_a, photo_b, outline_a.corners, card_map, background, config)
    other_b = None
    if orientation.uncertain:  # the other candidate, pictured for the user to choose
        _, other_b, _ = cut_pair(photo_a, photo_b, outline_a.corners, a_from_b @ turn_b, a_from_b, config)
    status = Status.FLAGGED if notes else Status.OK
    return (AlignResult(status=status, reason="; ".join(notes), **found),
            AlignedImages(image_a, image_b, overlay(image_a, image_b, outline), other_b))


def _find(photo: np.ndarray, side: str) -> CardOutline:
    """The card in one photo; CardNotFound (its message naming the side) when there is none
    or it is too small for its pips to be read."""
    try:
        outline = find_card(photo)
    except CardNotFound as error:
        raise CardNotFound(f"{side}: {error}") from None
    if outline.long_side < MIN_CARD_PX:
        height, width = photo.shape[:2]
        raise CardNotFound(f"{side}: the card is only {outline.long_side:.0f} px long in a {width}x{height} photo; "
                           f"at least {MIN_CARD_PX} px are needed to read its pips")
    return outline


def orient(photo_a: np.ndarray, photo_b: np.ndarray, corners_a: np.ndarray, a_from_b: np.ndarray, *,
           turn: bool | None = None) -> Orientation:
    """Whether B's card lay upside down, from both faces rectified through A's outline
    (``cardprep.orient``), unless the user said (``turn``).

    ``a_from_b`` lays B's outline on A's (no turn); B's face is read through it.
    """
    card_from_a = cards.card_from_photo(corners_a)
    card_a, card_b = cards.rectify(photo_a, card_from_a), cards.rectify(photo_b, card_from_a @ a_from_b)
    face_a, face_b = cards.read_face(card_a), cards.read_face(card_b)
    decision = decide_orientation(card_a, card_b, faces=(face_a, face_b))
    if turn is None:
        return Orientation(decision.turn, face_a, face_b, decision, "pips")
    return Orientation(turn, face_a, face_b, decision, "--turn" if turn else "--keep")


def _checks(face_a: cards.CardFace, face_b: cards.CardFace, score: float) -> list[str]:
    """The sanity checks that flag a pair for a look; each returns a human sentence."""
    notes = []
    if face_a.rank != face_b.rank:
        notes.append(f"rank differs: A reads {face_a.rank}, B reads {face_b.rank}")
    if face_a.colour == "red":
        notes.append("A's pips are red: suits swapped (A should be the club card)?")
    elif face_a.pips and face_a.colour != "black":
        notes.append("A's pips are not clearly black")
    if face_b.pips and face_b.colour != "red":
        notes.append(f"B's pips are {face_b.colour}, not red: wrong card?")
    if score < MIN_SCORE:
        notes.append(f"low ECC score {score:.2f} (< {MIN_SCORE})")
    return notes


def output_from_a(corners_a: np.ndarray, config: AlignConfig) -> tuple[np.ndarray, tuple[int, int]]:
    """The map from A's photo pixels to the output frame, and the frame's (width, height)."""
    if config.frame is Frame.PHOTO:
        centre = corners_a.mean(axis=0)
        side = geometry.long_side(corners_a) / PHOTO_CARD_SHARE
        # Pixel centres sit at integers: pixel x spans [x - 0.5, x + 0.5] in both frames.
        out_from_a = (geometry.translation(-0.5, -0.5) @ geometry.scaling(config.size / side)
                      @ geometry.translation(*(side / 2 - centre + 0.5)))
        return out_from_a, (config.size, config.size)
    return card_frame.frame_from_photo(corners_a, config.size), (config.size, config.size)


def cut_pair(photo_a: np.ndarray, photo_b: np.ndarray, corners_a: np.ndarray, a_from_b: np.ndarray,
             background: np.ndarray, config: AlignConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A and B in the output frame, and A's card outline in it.

    Both photos are first shrunk with area averaging by the same factor (no aliasing), then
    warped once. B's card comes from ``a_from_b`` and B's table around it from ``background``:
    they differ only when an upside-down card is turned, which keeps B's table as it was.
    """
    out_from_a, shape = output_from_a(corners_a, config)
    shrink = warp.shrink_factor(out_from_a, corners_a)
    source_a, source_b = warp.shrunk(photo_a, shrink), warp.shrunk(photo_b, shrink)
    image_a = source_a.warp(out_from_a, shape)
    card_b = source_b.warp(out_from_a @ a_from_b, shape)
    outline = geometry.apply_homography(out_from_a, corners_a)
    if background is a_from_b:
        return image_a, card_b, outline
    table_b = source_b.warp(out_from_a @ background, shape)
    mask = np.zeros(card_b.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(outline * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32)[..., None] / 255
    image_b = (card_b * mask + table_b * (1 - mask) + 0.5).astype(np.uint8)
    return image_a, image_b, outline


def overlay(image_a: np.ndarray, image_b: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """A and B blended half and half, A's card outline drawn: misalignment shows as doubled edges."""
    blend = cv2.addWeighted(image_a, 0.5, image_b, 0.5, 0)
    cv2.polylines(blend, [np.round(outline * 16).astype(np.int32)], True, (0, 220, 0), 1, cv2.LINE_AA, shift=4)
    return blend

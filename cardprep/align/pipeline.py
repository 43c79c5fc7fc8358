"""``cardprep align``: register every club/heart pair, check it, and write the aligned pair.

Per pair: find the card in both photos (detect), lay B's outline on A's, decide from the pips
whether B's card lay upside down (cards), refine with ECC (register), run the sanity checks,
and write A and B cut the same way (Contract 2). A pair that cannot be done becomes a failed
row with its reason; the others are still done. The whole output folder is built aside and
swapped in at the end, so a rerun replaces it and an interrupted run leaves the old one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

import cv2
import numpy as np

from cardprep import cards, geometry
from cardprep.common.atomic import check_replaceable, staged_dir
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM
from cardprep.detect import CardNotFound, find_card
from cardprep.errors import ImageError
from cardprep.common.images import read_image, write_image
from cardprep.pairs import Pair, find_pairs
from cardprep.common.parallel import ordered_map, resolve_workers
from cardprep.register import EccFailed, outline_homography, refine

REPORT = "report.csv"
PHOTO_CARD_SHARE = 0.7  # --frame photo: the card's long side over the crop's side
MIN_SCORE = 0.85  # ECC correlation below this flags the pair


class Frame(str, Enum):
    PHOTO = "photo"
    CARD = "card"


class OnFlip(str, Enum):
    FIX = "fix"
    FLAG = "flag"
    SKIP = "skip"


@dataclass(frozen=True)
class AlignConfig:
    frame: Frame = Frame.PHOTO
    size: int = 512
    on_flip: OnFlip = OnFlip.FIX


@dataclass(frozen=True)
class AlignResult:
    """One report row (Contract 2) and what the report page shows beside it."""

    pair: str
    status: str  # ok, flagged, failed
    reason: str = ""
    homography: np.ndarray | None = None
    orientation: int = 0
    score: float = float("nan")
    rank: str = ""
    rank_b: str = ""
    residual_px: float = float("nan")
    seconds: float = 0.0
    a_file: str = ""
    b_file: str = ""


@dataclass(frozen=True)
class AlignSummary:
    out: Path
    results: tuple[AlignResult, ...]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        parts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in ("ok", "flagged", "failed"))
        return f"{len(self.results)} pairs: {parts} in {self.seconds:.1f} s -> {self.out}"


def align_folder(raw: str | Path, out: str | Path, config: AlignConfig = AlignConfig(), *,
                 workers: int | None = None, on_pair_done: Callable[[AlignResult], None] = lambda _: None,
                 ) -> AlignSummary:
    """Align every pair of RAW (Contract 1) into OUT (Contract 2), report included."""
    from cardprep.align.report import write_report  # the report module imports this one's types

    start = time.perf_counter()
    raw, out = Path(raw), Path(out)
    listing = find_pairs(raw)
    check_replaceable(out, marker=REPORT, kind="an align output")
    results = [AlignResult(o.stem, "failed", f"missing partner: {o.reason}") for o in listing.orphans]
    with staged_dir(out) as stage:
        for side in ("A", "B", "overlays"):
            (stage / side).mkdir()
        jobs = [(pair, stage, config) for pair in listing.pairs]
        for result in ordered_map(_align_job, jobs, resolve_workers(workers, len(jobs))):
            results.append(result)
            on_pair_done(result)
        results.sort(key=lambda r: r.pair)
        write_report(stage, results)
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "flagged", "failed")}
    return AlignSummary(out, tuple(results), time.perf_counter() - start, counts)


def _align_job(job: tuple[Pair, Path, AlignConfig]) -> AlignResult:
    pair, out, config = job
    start = time.perf_counter()
    return replace(align_pair(pair, out, config), seconds=time.perf_counter() - start)


def align_pair(pair: Pair, out: Path, config: AlignConfig) -> AlignResult:
    """Register one pair and write OUT/A, OUT/B and OUT/overlays for it unless it fails."""
    files = {"a_file": str(pair.a), "b_file": str(pair.b)}
    try:
        photo_a, photo_b = read_image(pair.a), read_image(pair.b)
    except ImageError as error:
        return AlignResult(pair.stem, "failed", f"unreadable: {error}", **files)
    try:
        outline_a = find_card(photo_a)
    except CardNotFound as error:
        return AlignResult(pair.stem, "failed", f"A: {error}", **files)
    try:
        outline_b = find_card(photo_b)
    except CardNotFound as error:
        return AlignResult(pair.stem, "failed", f"B: {error}", **files)

    to_a, corners_b = outline_homography(outline_a.corners, outline_b.corners)
    card_from_a = cards.card_from_photo(outline_a.corners)
    face_a = cards.read_face(cards.rectify(photo_a, card_from_a))
    face_b = cards.read_face(cards.rectify(photo_b, card_from_a @ to_a))
    turned = cards.half_turn_fits_better(face_a, face_b)
    turn_b = geometry.half_turn(corners_b)
    start = to_a @ turn_b if turned else to_a
    try:
        registration = refine(photo_a, photo_b, outline_a.corners, start,
                              tolerance_px=max(3.0, 0.01 * outline_a.long_side))
    except EccFailed as error:
        return AlignResult(pair.stem, "failed", str(error), orientation=180 if turned else 0, **files)

    a_from_b = registration.a_from_b
    notes = _checks(face_a, face_b, registration.score)
    if turned and config.on_flip is OnFlip.SKIP:
        return AlignResult(pair.stem, "failed", "B's card lay upside down; skipped (--on-flip skip)",
                           a_from_b, 180, registration.score, face_a.rank, face_b.rank,
                           registration.residual_px, **files)
    if turned and config.on_flip is OnFlip.FLAG:
        notes.append("B's card lay upside down; written as photographed (--on-flip flag)")
    # The card's content maps by a_from_b; B's table around it by the same map without the turn.
    background = a_from_b @ turn_b if turned else a_from_b
    card_map = background if config.on_flip is OnFlip.FLAG else a_from_b
    image_a, image_b, outline = cut_pair(photo_a, photo_b, outline_a.corners, card_map, background, config)
    write_image(out / "A" / f"{pair.stem}.png", image_a)
    write_image(out / "B" / f"{pair.stem}.png", image_b)
    write_image(out / "overlays" / f"{pair.stem}.jpg", overlay(image_a, image_b, outline), jpeg_quality=90)
    return AlignResult(pair.stem, "flagged" if notes else "ok", "; ".join(notes), a_from_b, 180 if turned else 0,
                       registration.score, face_a.rank, face_b.rank, registration.residual_px, **files)


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


def cut_pair(photo_a: np.ndarray, photo_b: np.ndarray, corners_a: np.ndarray, a_from_b: np.ndarray,
             background: np.ndarray, config: AlignConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A and B in the output frame, and A's card outline in it.

    Both photos are first shrunk with area averaging by the same factor (no aliasing), then
    warped once. B's card comes from ``a_from_b`` and B's table around it from ``background``:
    they differ only when an upside-down card is turned, which keeps B's table as it was.
    """
    if config.frame is Frame.PHOTO:
        centre = corners_a.mean(axis=0)
        side = geometry.long_side(corners_a) / PHOTO_CARD_SHARE
        # Pixel centres sit at integers: pixel x spans [x - 0.5, x + 0.5] in both frames.
        out_from_a = (geometry.translation(-0.5, -0.5) @ geometry.scaling(config.size / side)
                      @ geometry.translation(*(side / 2 - centre + 0.5)))
        shape = (config.size, config.size)
    else:
        width = round(config.size * CARD_WIDTH_MM / CARD_HEIGHT_MM)
        target = np.array([[0, 0], [width, 0], [width, config.size], [0, config.size]], np.float64) - 0.5
        out_from_a = geometry.quad_homography(corners_a, target)
        shape = (width, config.size)
    shrink = min(1.0, 2 * config.size / geometry.long_side(corners_a) * (1 if config.frame is Frame.CARD else PHOTO_CARD_SHARE))
    small_a, from_a = _shrunk(photo_a, shrink)
    small_b, from_b = _shrunk(photo_b, shrink)
    image_a = _warp(small_a, out_from_a @ np.linalg.inv(from_a), shape)
    card_b = _warp(small_b, out_from_a @ a_from_b @ np.linalg.inv(from_b), shape)
    outline = geometry.apply_homography(out_from_a, corners_a)
    if background is a_from_b:
        return image_a, card_b, outline
    table_b = _warp(small_b, out_from_a @ background @ np.linalg.inv(from_b), shape)
    mask = np.zeros(card_b.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(outline * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32)[..., None] / 255
    image_b = (card_b * mask + table_b * (1 - mask) + 0.5).astype(np.uint8)
    return image_a, image_b, outline


def _shrunk(photo: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` area-averaged by ``factor`` (<= 1), and the map from photo to shrunk pixels."""
    if factor >= 1.0:
        return photo, np.eye(3)
    size = (max(1, round(photo.shape[1] * factor)), max(1, round(photo.shape[0] * factor)))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA), geometry.resize_map(photo.shape, size)


def _warp(image: np.ndarray, h: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return cv2.warpPerspective(image, h, shape, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def overlay(image_a: np.ndarray, image_b: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """A and B blended half and half, A's card outline drawn: misalignment shows as doubled edges."""
    blend = cv2.addWeighted(image_a, 0.5, image_b, 0.5, 0)
    cv2.polylines(blend, [np.round(outline * 16).astype(np.int32)], True, (0, 220, 0), 1, cv2.LINE_AA, shift=4)
    return blend

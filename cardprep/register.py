"""B -> A registration of a card pair: a start from the card outlines, then ECC refinement.

The outlines alone already give the homography to a few tenths of a pixel. ECC then refines
it on everything the two photos legitimately share on and around the card (the outline, the
rank glyphs, face-panel frames) with what differs masked out: the pips and suit symbols
(clubs vs hearts). ECC runs on the darkest colour channel, where black club pips and red heart
pips are both ink and a change of exposure or white balance is only a gain, which ECC's
correlation ignores.

Masks go on A (the reference): OpenCV 5 ignores the sample mask under linear interpolation.
Blur is off (gaussFiltSize 1): the default 5 biases the scale by about 0.2 px.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.errors import CardprepError
from cardprep.detect import paper_channel

_WORKING_SIDE = 1024  # card long side (px) at ECC's finest level, at most
_COARSEST_SIDE = 240  # card long side (px) at ECC's coarsest pyramid level
_OUTSIDE = 0.02  # of the card's long side: the band of background kept around the card, for its outline
_INSIDE = 0.02  # of the card's long side: the band inside the outline never masked as "differs"
_DIFFER = 0.12  # paper-channel difference (of the card's white) that counts as "differs"
_AGREE_PX = 2.0  # ECC and outline estimates this close (working px, worst corner) agree;
_AGREE_PX_RAMP = 1.0  # this much further apart, ECC's alone is kept
_ITERATIONS = 40
_EPSILON = 1e-5


class EccFailed(CardprepError):
    """ECC did not converge, or converged somewhere the outlines say is wrong."""


@dataclass(frozen=True)
class Registration:
    a_from_b: np.ndarray  # (3, 3), B photo pixels -> A photo pixels
    score: float  # ECC correlation on the masked card, 0..1
    residual_px: float  # how far (px) the result lies from the outline estimate at the worst corner


def outline_homography(corners_a: np.ndarray, corners_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The homography laying B's outline on A's, pairing each of A's corners with the nearest of
    B's (the hand placement error is small), and B's corners in that pairing."""
    shifts = [np.roll(corners_b, -k, axis=0) for k in range(4)]
    matched = min(shifts, key=lambda quad: np.linalg.norm(quad - corners_a, axis=1).sum())
    return geometry.quad_homography(matched, corners_a), matched


def refine(photo_a: np.ndarray, photo_b: np.ndarray, corners_a: np.ndarray, a_from_b: np.ndarray,
           *, tolerance_px: float) -> Registration:
    """ECC-refine the outline estimate ``a_from_b`` on the card and combine the two.

    ECC runs coarse to fine up to a working resolution where the card's long side is
    ``_WORKING_SIDE`` px (full resolution for photos up to about 3 MP; a full-resolution level
    on a 12 MP photo costs about a second and measured no better). Where the two estimates
    agree to _AGREE_PX working pixels, the result is their corner-wise mean when ECC ran at full
    resolution and the outline estimate otherwise; _AGREE_PX_RAMP further apart, ECC's, and a
    blend in between (see benchmarks/RESULTS.md for the measurements behind these). Raises
    EccFailed when ECC fails or lands more than ``tolerance_px`` from the outline estimate at a
    corner.
    """
    zoom = min(1.0, _WORKING_SIDE / geometry.long_side(corners_a))
    ecc_corners, score = _ecc(photo_a, photo_b, corners_a, a_from_b, zoom)
    disagreement = float(np.linalg.norm(ecc_corners - corners_a, axis=1).max())
    if not np.isfinite(score) or disagreement > tolerance_px:
        raise EccFailed(f"ECC diverged (it put a card corner {disagreement:.1f} px from where the outlines do)")
    # ECC at full resolution and the outlines err independently and about equally: their mean
    # is best; downscaled, ECC measured worse than the outlines alone. Further apart than the
    # outlines err by themselves, an outline side is biased (a dark stroke along the edge, half
    # in a shadow, does not cancel between an upright A and a turned B) and ECC, which
    # registers the whole card, is kept.
    agreeing = 0.5 if zoom == 1.0 else 0.0
    apart = np.clip((disagreement * zoom - _AGREE_PX) / _AGREE_PX_RAMP, 0.0, 1.0)
    weight = agreeing + (1.0 - agreeing) * apart
    combined = geometry.quad_homography(geometry.apply_homography(np.linalg.inv(a_from_b), corners_a),
                                        (1 - weight) * corners_a + weight * ecc_corners)
    return Registration(combined, float(score), weight * disagreement)


def _ecc(photo_a: np.ndarray, photo_b: np.ndarray, corners_a: np.ndarray, a_from_b: np.ndarray,
         zoom: float) -> tuple[np.ndarray, float]:
    """Where ECC, started from ``a_from_b`` and run on the card's surroundings scaled by
    ``zoom``, puts A's card corners (A pixels, to compare with ``corners_a``), and its
    correlation score; EccFailed when it does not converge."""
    long_side = geometry.long_side(corners_a)
    x0, y0, width, height = _crop_box(corners_a, photo_a.shape, margin=2 * _OUTSIDE)
    size = (max(1, round(width * zoom)), max(1, round(height * zoom)))
    crop_to_work = geometry.resize_map((height, width), size)
    reference = _working_copy(paper_channel(photo_a[y0:y0 + height, x0:x0 + width]), size)
    start = geometry.translation(-x0, -y0) @ a_from_b
    moved = _working_copy(cv2.warpPerspective(paper_channel(photo_b), start, (width, height),
                                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), size)
    corners = geometry.apply_homography(crop_to_work @ geometry.translation(-x0, -y0), corners_a)
    params = cv2.ECCParameters()
    params.motionType = cv2.MOTION_HOMOGRAPHY
    params.gaussFiltSize = 1
    params.nlevels = max(1, int(np.log2(long_side * zoom / _COARSEST_SIDE)) + 1)
    params.itersPerLevel = [_ITERATIONS] * params.nlevels
    params.criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, _ITERATIONS, _EPSILON)
    mask = _shared_structure(reference, moved, corners)
    try:
        score, warp = cv2.findTransformECCMultiScale(reference, moved, np.eye(3, dtype=np.float32), params, mask)
    except cv2.error as error:
        raise EccFailed(f"ECC did not converge ({_first_line(error)})") from None
    # warp maps working A pixels to working moved-B pixels; invert it and bring it to photo pixels.
    crop_residual = np.linalg.inv(crop_to_work) @ np.linalg.inv(warp.astype(np.float64)) @ crop_to_work
    by_ecc = geometry.translation(x0, y0) @ crop_residual @ start
    return geometry.apply_homography(by_ecc @ np.linalg.inv(a_from_b), corners_a), float(score)


def _working_copy(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if size == (image.shape[1], image.shape[0]):
        return image.astype(np.float32)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _crop_box(corners: np.ndarray, shape: tuple[int, ...], margin: float) -> tuple[int, int, int, int]:
    """x, y, width, height of the card's bounding box grown by ``margin`` of its size, in the photo."""
    low, high = corners.min(axis=0), corners.max(axis=0)
    grow = margin * (high - low).max()
    x0, y0 = np.maximum(np.floor(low - grow), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(high + grow), [shape[1] - 1, shape[0] - 1]).astype(int)
    return int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1)


def _shared_structure(reference: np.ndarray, moved: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """ECC's mask: the card and a band of background around it, without what differs between
    the photos (pips and suit symbols; a face figure drawn the other way)."""
    size = geometry.long_side(corners)
    inside = max(2, int(round(_INSIDE * size)))
    outside = max(2, int(round(_OUTSIDE * size)))
    card = np.zeros(reference.shape, np.uint8)
    cv2.fillConvexPoly(card, np.round(corners * 16).astype(np.int32), 1, cv2.LINE_AA, shift=4)
    around = cv2.dilate(card, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * outside + 1,) * 2))
    inner = cv2.erode(card, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inside + 1,) * 2))
    white = np.percentile(reference[inner > 0], 90) if inner.any() else reference.max()
    blur = max(1.0, size / 300)
    gain = _gain(reference, moved, inner)
    differs = np.abs(cv2.GaussianBlur(reference, (0, 0), blur) - gain * cv2.GaussianBlur(moved, (0, 0), blur))
    differs = (differs > _DIFFER * white).astype(np.uint8) & inner
    grow = max(3, int(round(size / 100)))
    differs = cv2.dilate(differs, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2))
    return ((around > 0) & (differs == 0)).astype(np.uint8) * 255


def _gain(reference: np.ndarray, moved: np.ndarray, inner: np.ndarray) -> float:
    """The exposure ratio of the two photos, from the card's paper (its brightest half)."""
    inside_r, inside_m = reference[inner > 0], moved[inner > 0]
    if inside_r.size == 0:
        return 1.0
    return float(np.percentile(inside_r, 75) / max(np.percentile(inside_m, 75), 1.0))


def _first_line(error: cv2.error) -> str:
    text = str(error).strip().splitlines()
    message = [line for line in text if "error:" in line]
    return (message[-1].split("error:")[-1] if message else text[-1]).strip(" ()")

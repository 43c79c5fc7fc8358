"""The written aligned images, and the steps that make them, against the simulator's exact truth.

The photos are written as PNG, so the arrays the test holds are exactly what align reads and
the truth holds to the pixel. In the output frame the truth puts B's card exactly where A's
true card lies: ``out_from_a`` applied to A's true corners.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep import geometry
from cardprep.align import AlignConfig, Status, align_folder, align_pair
from cardprep.align.pipeline import PHOTO_CARD_SHARE, output_from_a
from cardprep.common.images import read_image, write_image
from cardprep.detect import find_card
from cardprep.register import Registration, outline_homography, refine
from cardprep.sim.photos import SimConfig, SimPair, deck_plan, simulate_pair

SIM = SimConfig(size=(1024, 768))
SEED = 0  # benchmarks/align_bench.py's set at 1024x768 (A to K, two cards upside down), kept lossless


@pytest.fixture(scope="module")
def pairs() -> list[SimPair]:
    plan = deck_plan(13, SEED, SIM.upside_down)
    children = np.random.SeedSequence(SEED).spawn(len(plan))
    return [simulate_pair(rank, np.random.default_rng(child), SIM, stem=stem, upside_down=flip)
            for (stem, rank, flip), child in zip(plan, children)]


@pytest.fixture(scope="module")
def raw(pairs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    for side in ("A", "B"):
        (folder / side).mkdir()
    for pair in pairs:
        write_image(folder / "A" / f"{pair.stem}.png", pair.photo_a)
        write_image(folder / "B" / f"{pair.stem}.png", pair.photo_b)
    return folder


def truth_view(photo: np.ndarray, out_from_photo: np.ndarray, size: int) -> np.ndarray:
    """``photo`` warped into the output frame by an exact map, smoothed (the pipeline shrinks
    first; a blur makes both free of aliasing before they are compared)."""
    view = cv2.warpPerspective(photo, out_from_photo, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
    return gray(view)


def gray(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1.0)


def card_mask(corners: np.ndarray, size: int, grow: int) -> np.ndarray:
    """The card's quad filled, grown by ``grow`` px (shrunk when negative)."""
    mask = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 255)
    kernel = np.ones((2 * abs(grow) + 1,) * 2, np.uint8)
    return cv2.dilate(mask, kernel) if grow > 0 else cv2.erode(mask, kernel)


def displacement(expected: np.ndarray, written: np.ndarray, mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How far (px) ``points`` of ``expected`` lie in ``written``, by ECC between the two on ``mask``."""
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-6)
    _, warp = cv2.findTransformECC(expected, written, np.eye(3, dtype=np.float32), cv2.MOTION_HOMOGRAPHY,
                                   criteria, mask, 1)
    return np.linalg.norm(geometry.apply_homography(warp, points) - points, axis=1)


@pytest.mark.parametrize("size", [512, 160], ids=["full-resolution", "shrunk-before-warp"])
def test_the_card_in_written_b_lies_where_the_truth_puts_it(pairs, raw, tmp_path, size):
    """B's card within 0.5 px of A's true card in the output frame; B's table as photographed
    (not turned with an upside-down card).

    The written B is compared with B's photo warped into the output frame by the true map:
    ECC between the two (same photo, so it locks to a few hundredths of a pixel) says where
    the card's true corners lie in the written image.
    """
    config = AlignConfig(size=size)
    summary = align_folder(raw, tmp_path / "out", config, workers=1)
    assert all(r.status is Status.OK for r in summary.results), [r.reason for r in summary.results]
    shrunk = [2 * size * PHOTO_CARD_SHARE / geometry.long_side(p.corners_a) < 1 for p in pairs]
    assert all(shrunk) if size == 160 else not any(shrunk)
    errors, tables = [], []
    for pair in pairs:
        out_from_a, _ = output_from_a(find_card(pair.photo_a).corners, config)
        corners = geometry.apply_homography(out_from_a, pair.corners_a)
        written = gray(read_image(tmp_path / "out" / "B" / f"{pair.stem}.png"))
        card = truth_view(pair.photo_b, out_from_a @ pair.a_from_b, size)
        errors.append(displacement(card, written, card_mask(corners, size, 1), corners))
        # B's table: the truth's map without the half turn (the card alone was laid upside down)
        unturned = pair.a_from_b @ geometry.half_turn(pair.corners_b) if pair.orientation else pair.a_from_b
        table = truth_view(pair.photo_b, out_from_a @ unturned, size)
        outside = card_mask(corners, size, 4) == 0
        tables.append(np.abs(table - written)[outside].mean())
    errors = np.array(errors)
    assert errors.mean(axis=1).max() <= 0.5  # every pair's card, on average over its corners
    assert np.median(errors) <= 0.3 and errors.max() <= 1.0
    assert max(tables) <= 3.0


def matched(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """``found`` corners in the order of ``truth`` (detect starts at another corner)."""
    return min((np.roll(found, -k, axis=0) for k in range(4)), key=lambda q: np.abs(q - truth).sum())


def test_detect_finds_the_absolute_corners_without_bias(pairs):
    """Card corners in each photo against the truth, not only B -> A (which cancels a common bias)."""
    offsets, outward = [], []
    for pair in pairs:
        for photo, truth in ((pair.photo_a, pair.corners_a), (pair.photo_b, pair.corners_b)):
            found = matched(find_card(photo).corners, truth)
            offsets.append(np.linalg.norm(found - truth, axis=1))
            away = truth - truth.mean(axis=0)
            outward.append(np.sum((found - truth) * away, axis=1) / np.linalg.norm(away, axis=1))
    assert np.median(offsets) <= 0.45 and np.max(offsets) <= 1.0  # measured 0.33 and 0.74
    # Measured: the corners lie 0.29 px inside the truth on average (0.25-0.33 px on other
    # seeds); a common 0.5 px shift of every edge moves this by about 0.7 px either way.
    assert -0.45 <= np.mean(outward) <= 0.1


def corner_error(a_from_b: np.ndarray, pair: SimPair) -> np.ndarray:
    return geometry.corner_errors(a_from_b, pair.corners_b, pair.corners_a)


def test_ecc_refinement_beats_the_outline_estimate(pairs):
    """What ECC earns: issue 15 measured the median corner error 0.23 px from the outlines
    alone and 0.14 px refined at 1024x768. Held here as a margin on this seeded set."""
    by_outline, refined = [], []
    for pair in pairs:
        outline_a, outline_b = find_card(pair.photo_a), find_card(pair.photo_b)
        start, corners_b = outline_homography(outline_a.corners, outline_b.corners)
        result, _ = align_pair(pair.photo_a, pair.photo_b)
        turned = result.orientation == 180
        by_outline.append(corner_error(start @ geometry.half_turn(corners_b) if turned else start, pair))
        refined.append(corner_error(result.homography, pair))
    assert np.median(refined) <= 0.8 * np.median(by_outline)


def refine_with_a_biased_side(pair: SimPair, bias_px: float, tolerance_px: float) -> tuple[Registration, float]:
    """``refine`` from the true corners with A's side 1-2 pushed ``bias_px`` outward, and the
    result's worst error at that side's corners."""
    corners_a = pair.corners_a.copy()
    outward = corners_a[[1, 2]] - corners_a.mean(axis=0)
    corners_a[[1, 2]] += bias_px * outward / np.linalg.norm(outward, axis=1)[:, None]
    start = geometry.quad_homography(pair.corners_b, corners_a)
    registration = refine(pair.photo_a, pair.photo_b, corners_a, start, tolerance_px=tolerance_px)
    return registration, float(corner_error(registration.a_from_b, pair)[[1, 2]].max())


@pytest.mark.parametrize("bias_px, kept", [(0.8, "mean"), (2.5, "blend"), (4.0, "ecc")])
def test_a_biased_outline_side_gives_way_to_ecc(pairs, bias_px, kept):
    """One side of A's outline pushed outward (a dark edge stroke half in shadow does that, and
    it does not cancel when B lay turned): a little, the estimates are averaged; by more than
    outlines err by themselves, ECC's estimate is kept (their mean was 2-2.8 px off on real
    designs where ECC alone was 0.2-0.4); in between (2-3 px apart), a blend of the two."""
    registration, error = refine_with_a_biased_side(pairs[3], bias_px, tolerance_px=7.0)
    if kept == "mean":  # halfway between the outline (bias_px off) and ECC (on the truth)
        assert 0.25 * bias_px <= error <= 0.75 * bias_px
    elif kept == "blend":  # 2.5 px apart: three quarters ECC
        assert 0.15 * bias_px <= error <= 0.4 * bias_px
    else:
        assert error <= 0.5


@pytest.mark.parametrize("bias_px, kept", [(1.0, "outline"), (8.0, "ecc")])
def test_a_biased_outline_side_gives_way_to_downscaled_ecc(bias_px, kept):
    """A card over 1024 px long (ECC downscaled): the outline estimate is kept where the two
    agree to 2 working px, ECC's where they are further apart (aguilar at 12 MP: 8-9 px off by
    the outlines, 0.5-1.3 px by ECC)."""
    config = SimConfig(size=(1800, 1350), card_fraction=(0.8, 0.82), shake=0.0)
    pair = simulate_pair("7", np.random.default_rng(5), config, upside_down=False)
    assert geometry.long_side(pair.corners_a) > 1024
    registration, error = refine_with_a_biased_side(pair, bias_px, tolerance_px=12.0)
    if kept == "outline":
        assert registration.residual_px == 0.0 and error == pytest.approx(bias_px, abs=0.3)
    else:
        assert error <= 1.0


def test_a_card_too_big_for_full_resolution_ecc(tmp_path):
    """Above ~3 MP (a card over 1024 px long) ECC runs on a shrunk copy and only checks the
    outline estimate; the photo is shrunk before the warp as well. Both stay on the truth."""
    config = SimConfig(size=(1800, 1350), card_fraction=(0.8, 0.82), shake=0.0)
    pair = simulate_pair("7", np.random.default_rng(5), config, upside_down=True)
    assert geometry.long_side(pair.corners_a) > 1024  # register's working side: ECC shrinks
    result, images = align_pair(pair.photo_a, pair.photo_b)
    assert result.status is Status.OK and result.orientation == 180
    assert np.median(corner_error(result.homography, pair)) <= 0.4
    out_from_a, _ = output_from_a(find_card(pair.photo_a).corners, AlignConfig())
    corners = geometry.apply_homography(out_from_a, pair.corners_a)
    card = truth_view(pair.photo_b, out_from_a @ pair.a_from_b, 512)
    assert displacement(card, gray(images.b), card_mask(corners, 512, 1), corners).mean() <= 0.5

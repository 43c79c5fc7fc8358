"""The card frame (the model's view of one card) and pasting a translated card back."""

from __future__ import annotations

import numpy as np
import pytest

from cardprep import geometry
from cardprep.card_frame import MARGIN, card_corners_in_frame, card_view, frame_from_photo, paste_card
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

SIZE = 128
# A card seen in perspective in a 480 x 640 photo, corners in the card's own order.
CORNERS = np.array([[250.3, 120.7], [395.1, 131.2], [388.6, 330.9], [236.2, 322.4]])


@pytest.fixture()
def photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)


def test_the_card_fills_the_frame_but_its_margin() -> None:
    """The 63 x 88 card is stretched to the square: the margin is MARGIN of the card's height
    above and below, and the same millimetres (so more pixels) left and right."""
    inner = card_corners_in_frame(SIZE)
    pad_mm = MARGIN * CARD_HEIGHT_MM
    pad = np.array([pad_mm / (CARD_WIDTH_MM + 2 * pad_mm), pad_mm / (CARD_HEIGHT_MM + 2 * pad_mm)]) * SIZE
    np.testing.assert_allclose(inner.min(axis=0), pad - 0.5, atol=1e-9)
    np.testing.assert_allclose(inner.max(axis=0), SIZE - pad - 0.5, atol=1e-9)


def test_frame_from_photo_takes_the_corners_to_the_frame_corners() -> None:
    mapped = geometry.apply_homography(frame_from_photo(CORNERS, SIZE), CORNERS)
    np.testing.assert_allclose(mapped, card_corners_in_frame(SIZE), atol=1e-6)


def test_pixels_outside_the_card_keep_their_exact_value(photo: np.ndarray) -> None:
    view = np.full((SIZE, SIZE, 3), (30, 40, 200), np.uint8)
    pasted = paste_card(photo, view, CORNERS)
    inside = np.zeros(photo.shape[:2], bool)
    ys, xs = np.mgrid[: photo.shape[0], : photo.shape[1]]
    points = np.c_[xs.ravel(), ys.ravel()].astype(np.float64)
    card = geometry.apply_homography(frame_from_photo(CORNERS, SIZE), points)
    lo, hi = card_corners_in_frame(SIZE).min(axis=0), card_corners_in_frame(SIZE).max(axis=0)
    inside = ((card >= lo) & (card <= hi)).all(axis=1).reshape(photo.shape[:2])
    assert np.array_equal(pasted[~inside], photo[~inside])
    deep = ((card >= lo + 4) & (card <= hi - 4)).all(axis=1).reshape(photo.shape[:2])
    assert deep.sum() > 20000
    assert np.abs(pasted[deep].astype(int) - (30, 40, 200)).max() <= 1


def test_a_view_pasted_back_is_the_card_again(photo: np.ndarray) -> None:
    """Rectify, then paste the view unchanged: the round trip only resamples (smooth photo)."""
    smooth = np.ascontiguousarray(np.clip(np.add.outer(np.arange(480), np.arange(640)) / 4, 0, 255)
                                  .astype(np.uint8)[..., None].repeat(3, axis=2))
    view, _ = card_view(smooth, CORNERS, 256)
    again = paste_card(smooth, view, CORNERS)
    assert np.abs(again.astype(int) - smooth.astype(int)).max() <= 2


def test_a_large_card_is_shrunk_by_area_before_the_warp() -> None:
    """A checkerboard finer than the frame's pixels averages to grey instead of aliasing."""
    board = ((np.add.outer(np.arange(2400), np.arange(3200)) % 2) * 255).astype(np.uint8)
    photo = np.ascontiguousarray(board[..., None].repeat(3, axis=2))
    corners = np.array([[1000.0, 500.0], [2260.0, 500.0], [2260.0, 2260.0], [1000.0, 2260.0]])
    view, _ = card_view(photo, corners, 64)
    assert abs(float(view[16:48, 16:48].mean()) - 127.5) < 12
    assert float(view[16:48, 16:48].std()) < 20

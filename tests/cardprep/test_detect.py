"""Card detection against exact truth: real designs, hostile tables and light, real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep.detect import CardNotFound, find_card
from cardprep.errors import CardprepError
from cardprep.sim.photos import SimConfig, simulate_pair
from tests.cardprep.detect_scenes import Scene, corner_errors, render

REAL_PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "real-photos"
# Located once, independently of cardprep.detect: on each side, 7 profiles across the edge at
# 25-75% of its length (clear of the rounded corners); in each, the point where the darkest of
# B, G, R crosses half-way between the paper level (4-10 px inside) and the table level (4-10 px
# outside), linearly interpolated; a least-squares line through the 7 points; adjacent lines
# intersected. Checked by eye on 20x crops of each corner. Clockwise from the top-left.
REAL_TRUTH = {
    "two-of-clubs-green-folder.png": np.array([[253.5, 186.7], [449.1, 183.4], [452.3, 491.3], [254.3, 493.9]]),
    "ten-of-clubs-leather.jpg": np.array([[300.5, 1158.7], [1664.5, 1179.2], [1579.4, 2889.0], [374.8, 2915.3]]),
}
REAL_TOLERANCE_PX = 1.5


def found_within(scene: Scene, bound_px: float) -> np.ndarray:
    """Detect the card in ``scene``; assert every corner within ``bound_px`` of the truth."""
    photo, truth = render(scene)
    errors = corner_errors(find_card(photo).corners, truth)
    assert errors.max() <= bound_px, (scene, errors)
    return errors


def test_card_not_found_is_a_user_error() -> None:
    assert issubclass(CardNotFound, CardprepError)


@pytest.mark.parametrize("name", sorted(REAL_TRUTH))
def test_real_photos_match_hand_located_corners(name: str) -> None:
    path = REAL_PHOTOS / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    corners = find_card(cv2.imread(str(path), cv2.IMREAD_COLOR)).corners
    assert corner_errors(corners, REAL_TRUTH[name]).max() <= REAL_TOLERANCE_PX

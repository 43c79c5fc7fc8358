import cv2
import numpy as np
import pytest

from cardprep.sim.deck import SUIT_BGR, Suit, draw_card, pip_layout
from cardprep.spec import FACE_RANKS, ODD_RANKS, RANKS


@pytest.mark.parametrize("rank", RANKS)
def test_pip_count_matches_rank(rank):
    expected = 0 if rank in FACE_RANKS else 1 if rank == "A" else int(rank)
    assert len(pip_layout(rank)) == expected


@pytest.mark.parametrize("rank", [r for r in RANKS if r not in FACE_RANKS])
def test_upper_half_upright_lower_half_turned(rank):
    for spot in pip_layout(rank):
        if abs(spot.y - 44.0) > 1e-6:
            assert spot.upright == (spot.y < 44.0)
        elif abs(spot.x - 31.5) < 1e-6:
            assert spot.upright  # the centre pip of the middle row stands upright


@pytest.mark.parametrize("rank", [r for r in RANKS if r not in FACE_RANKS])
def test_only_odd_ranks_change_under_a_half_turn(rank):
    """The seed's rule: A, 3, 5, 7, 9 look different upside down, the even ranks do not."""
    spots = {(round(s.x, 6), round(s.y, 6), s.upright) for s in pip_layout(rank)}
    turned = {(round(63.0 - s.x, 6), round(88.0 - s.y, 6), not s.upright) for s in pip_layout(rank)}
    assert (spots != turned) == (rank in ODD_RANKS)


@pytest.mark.parametrize("rank", ["A", "3", "7", "10"])
@pytest.mark.parametrize("suit", list(Suit))
def test_drawn_pips_are_separate_blobs_in_the_suit_colour(rank, suit):
    card = draw_card(rank, suit, px_per_mm=5)
    distance = np.linalg.norm(card.image.astype(np.float32) - np.float32(SUIT_BGR[suit]), axis=2)
    ink = (distance < 60).astype(np.uint8)
    sx, sy = card.scale
    ink[: int(19 * sy), : int(12 * sx)] = 0  # the corner indices
    ink[-int(19 * sy) :, -int(12 * sx) :] = 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    big = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] > 20 * sx * sy]
    assert len(big) == len(pip_layout(rank))


def test_face_figures_face_opposite_ways():
    """The heart figure is the club figure mirrored: its shape, not only its colour, differs."""
    panels = []
    for suit in Suit:
        card = draw_card("K", suit, px_per_mm=4)
        x0, y0, x1, y1 = (int(round(v * 4)) for v in (14.0, 14.0, 49.0, 43.0))  # inside the upper half-panel
        grey = cv2.cvtColor(card.image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        panels.append(grey < 200)
    clubs, hearts = panels

    def iou(a, b):
        return (a & b).sum() / (a | b).sum()

    assert iou(clubs, hearts[:, ::-1]) > iou(clubs, hearts) + 0.15


def test_card_texture_covers_the_card_rectangle():
    card = draw_card("5", Suit.HEARTS, px_per_mm=6)
    height, width = card.alpha.shape
    assert abs(width / height - 63 / 88) < 0.01
    assert card.alpha[height // 2, 0] == 255 and card.alpha[0, width // 2] == 255
    assert card.alpha[0, 0] == 0  # rounded corner
    corners = np.array([[0, 0, 1], [63, 88, 1]], float) @ card.tex_from_mm().T
    np.testing.assert_allclose(corners[:, :2], [[-0.5, -0.5], [width - 0.5, height - 0.5]], atol=0.01)

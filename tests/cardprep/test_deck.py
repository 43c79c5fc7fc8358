import itertools
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep.errors import CardprepError
from cardprep.sim import STYLES, Design, Style, Suit, card_of, draw_card, load_deck, pip_layout
from cardprep.sim.deck import SUIT_BGR, outline_alpha
from cardprep.spec import FACE_RANKS, ODD_RANKS, RANKS

DECKS = Path(__file__).resolve().parents[1] / "fixtures" / "decks"


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


# -- the designs of the built-in deck ------------------------------------------------------------------


@pytest.mark.parametrize("design", list(Design))
@pytest.mark.parametrize("rank", ["A", "6", "7", "10"])
def test_every_design_draws_one_blob_per_pip(design, rank):
    style = STYLES[design]
    card = draw_card(rank, Suit.HEARTS, px_per_mm=5, style=style)
    distance = np.linalg.norm(card.image.astype(np.float32) - np.float32(SUIT_BGR[Suit.HEARTS]), axis=2)
    ink = (distance < 60).astype(np.uint8)
    sx, sy = card.scale
    cw, ch = int(12 * style.index_scale * sx), int(19 * style.index_scale * sy)
    ink[:ch, :cw] = 0  # the corner indices
    ink[-ch:, -cw:] = 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    big = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] > 20 * sx * sy]
    assert len(big) == len(pip_layout(rank))


def test_designs_draw_different_cards():
    drawn = {design: draw_card("7", Suit.CLUBS, px_per_mm=4, style=STYLES[design]).image for design in Design}
    for first, second in itertools.combinations(Design, 2):
        assert np.abs(drawn[first].astype(int) - drawn[second].astype(int)).mean() > 1.0, (first, second)


@pytest.mark.parametrize("rank", ["2", "4", "6", "8", "10"])
def test_one_way_side_pips_make_6_and_8_change_under_a_half_turn(rank):
    spots = {(round(s.x, 6), round(s.y, 6), s.upright) for s in pip_layout(rank, one_way=True)}
    turned = {(round(63.0 - s.x, 6), round(88.0 - s.y, 6), not s.upright) for s in pip_layout(rank, one_way=True)}
    assert (spots != turned) == (rank in ("6", "8"))


def test_full_art_faces_reach_near_the_edge_and_keep_the_index_on_paper():
    card = draw_card("K", Suit.HEARTS, px_per_mm=5, style=STYLES[Design.FULL_ART])
    fill = np.float32(STYLES[Design.FULL_ART].panel_fill)
    coloured = np.linalg.norm(card.image.astype(np.float32) - fill, axis=2) < 30
    columns = np.nonzero(coloured[card.image.shape[0] // 3])[0]
    assert columns.min() < 4 * 5 and columns.max() > card.image.shape[1] - 4 * 5  # within 4 mm of both sides
    assert not coloured[: 10 * 5, : 9 * 5].any()  # the index corner


# -- decks loaded from card faces ----------------------------------------------------------------------


@pytest.mark.parametrize("name,card", [
    ("7-clubs.png", ("7", "clubs")), ("7C.svg", ("7", "clubs")), ("10h.PNG", ("10", "hearts")),
    ("TH.png", ("10", "hearts")), ("K-Hearts.jpg", ("K", "hearts")), ("king_of_hearts.png", ("K", "hearts")),
    ("ace-of-clubs.webp", ("A", "clubs")), ("1H.png", ("A", "hearts")), ("QS.svg", ("Q", "spades")),
    ("2J.svg", None), ("back.png", None), ("README.md", None), ("7x.png", None), ("club_7.png", None),
])
def test_face_file_names(name, card):
    assert card_of(Path(name)) == card


def test_a_real_deck_loads_with_its_own_rounded_corners():
    deck = load_deck(DECKS / "kennard")
    assert deck.name == "kennard" and deck.missing((r, s) for r in RANKS for s in Suit) == []
    face = deck.card("7", Suit.HEARTS, px_per_mm=5)
    assert face.image.shape == (440, 315, 3) and face.scale == pytest.approx((5.0, 5.0))
    assert face.alpha[0, 0] == 0 and face.alpha[220, 0] == 255 and face.alpha[0, 157] == 255


def test_transparent_pixels_next_to_the_card_take_its_colour(tmp_path):
    """Files store black there; warped bilinearly, it would draw a dark fringe around the corners."""
    alpha = outline_alpha(252, 352)
    face = np.dstack([np.full((352, 252, 3), 255, np.uint8), alpha])
    face[alpha == 0, :3] = 0
    cv2.imwrite(str(tmp_path / "5-hearts.png"), face)
    card = load_deck(tmp_path).card("5", Suit.HEARTS, px_per_mm=4)
    np.testing.assert_array_equal(card.alpha, alpha)
    next_to_card = (alpha == 0) & (cv2.dilate((alpha > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    assert next_to_card.sum() > 20 and card.image[next_to_card].min() == 255


def test_a_much_sharper_face_is_brought_down_to_the_sharpness_asked():
    deck = load_deck(DECKS / "kennard")
    small = deck.card("7", Suit.HEARTS, px_per_mm=2)
    assert small.image.shape == (176, 126, 3) and small.alpha.shape == (176, 126)
    assert small.scale == pytest.approx((2.0, 2.0), rel=0.01)
    assert deck.card("7", Suit.HEARTS, px_per_mm=3).image.shape == (440, 315, 3)  # under twice: as it is


def test_an_opaque_face_gets_the_spec_outline(tmp_path):
    face = cv2.imread(str(DECKS / "kennard" / "7-clubs.png"))  # alpha dropped
    cv2.imwrite(str(tmp_path / "7C.jpg"), face)
    card = load_deck(tmp_path).card("7", Suit.CLUBS, px_per_mm=5)
    np.testing.assert_array_equal(card.alpha, outline_alpha(315, 440))


def test_deck_folder_problems_are_one_line_errors(tmp_path):
    with pytest.raises(CardprepError, match="not a folder"):
        load_deck(tmp_path / "nothing")
    (tmp_path / "README.md").write_text("a deck")
    with pytest.raises(CardprepError, match="no club or heart card faces"):
        load_deck(tmp_path)
    shutil.copyfile(DECKS / "kennard" / "7-clubs.png", tmp_path / "7-clubs.png")
    shutil.copyfile(DECKS / "kennard" / "7-clubs.png", tmp_path / "7C.png")
    with pytest.raises(CardprepError, match="7-clubs.png and 7C.png are both the 7-clubs"):
        load_deck(tmp_path)
    (tmp_path / "7C.png").unlink()
    cv2.imwrite(str(tmp_path / "8H.png"), np.zeros((300, 300, 3), np.uint8))
    with pytest.raises(CardprepError, match="8H.png: 300x300 px is not a card face"):
        load_deck(tmp_path)
    (tmp_path / "8H.png").write_bytes(b"not a png")
    with pytest.raises(CardprepError, match="8H.png: cannot be read"):
        load_deck(tmp_path)


SVG_FACE = ('<svg xmlns="http://www.w3.org/2000/svg" width="2.5in" height="3.5in" viewBox="0 0 250 350">'
            '<rect width="250" height="350" rx="12" fill="#ffffff"/><circle cx="125" cy="87.5" r="40" fill="#ff0000"/></svg>')


def test_an_svg_face_is_rendered_at_the_sharpness_asked(tmp_path):
    pytest.importorskip("resvg_py")
    (tmp_path / "7H.svg").write_text(SVG_FACE)
    card = load_deck(tmp_path, svg_px_per_mm=4).card("7", Suit.HEARTS, px_per_mm=4)
    assert card.image.shape == (352, 252, 3)
    assert card.alpha[0, 0] == 0 and card.alpha[176, 0] > 250 and card.alpha[-1, 126] > 250  # edges on the card's
    assert tuple(card.image[88, 126]) == (0, 0, 255)  # the circle a quarter of the way down, in red
    assert card.image[250, 126].min() == 255


def test_an_svg_face_without_the_renderer_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # an import of it now fails
    (tmp_path / "7H.svg").write_text(SVG_FACE)
    with pytest.raises(CardprepError, match=r"7H.svg: SVG faces need the optional renderer resvg-py"):
        load_deck(tmp_path)


def test_dark_faces_have_a_dark_band_at_the_edge_and_classic_cards_paper():
    for design, dark in ((Design.DARK_FACES, True), (Design.CLASSIC, False)):
        card = draw_card("4", Suit.CLUBS, px_per_mm=5, style=STYLES[design])
        middle = card.image.shape[0] // 2
        assert (card.image[middle, 1:5].max() < 100) == dark, design  # the first millimetre in from the left edge


def test_a_style_refuses_an_index_size_out_of_range():
    with pytest.raises(ValueError, match="index_scale"):
        Style(index_scale=3.0)

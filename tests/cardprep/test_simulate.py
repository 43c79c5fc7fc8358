import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep import geometry
from cardprep.cli import app
from cardprep.common.images import read_image
from cardprep.errors import CardprepError
from cardprep.sim import (
    CARD_CORNERS_MM, BuiltInDeck, CardImage, Design, SimConfig, Suit, TurnedRanks, deck_plan, draw_card, load_deck,
    simulate_pair, simulate_set,
)
from cardprep.spec import ODD_RANKS

from .conftest import SMALL, make_pair

TINY = SimConfig(size=(480, 360))
DECKS = Path(__file__).resolve().parents[1] / "fixtures" / "decks"
REAL_DESIGNS = sorted(path.name for path in DECKS.iterdir() if path.is_dir())


def ink(image: np.ndarray, blur: float) -> np.ndarray:
    """Darkness or colour of ink on paper, 0 on white, independent of exposure."""
    f = image.astype(np.float32)
    white = np.percentile(f.min(axis=2), 99)
    return cv2.GaussianBlur(np.clip(1 - f.min(axis=2) / white, 0, 1), (0, 0), blur)


def card_region(corners: np.ndarray, shape: tuple[int, ...], grow: int) -> np.ndarray:
    """The card's quadrilateral, eroded (grow < 0) or grown (grow > 0) by |grow| pixels."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 1)
    kernel = np.ones((2 * abs(grow) + 1,) * 2, np.uint8)
    return (cv2.dilate(mask, kernel) if grow > 0 else cv2.erode(mask, kernel)).astype(bool)


def correlation_inside_a(pair, image: np.ndarray, reference: np.ndarray, blur: float, grow: int = -4) -> float:
    mask = card_region(pair.corners_a, pair.photo_a.shape, grow)
    return float(np.corrcoef(ink(image, blur)[mask], ink(reference, blur)[mask])[0, 1])


def warp_to_a(pair, a_from_b: np.ndarray) -> np.ndarray:
    height, width = pair.photo_a.shape[:2]
    return cv2.warpPerspective(pair.photo_b, a_from_b, (width, height))


def heart_card_drawn_in_a(pair) -> np.ndarray:
    """The heart card as it should look after alignment: upright, exactly on A's card."""
    return card_drawn_in_a(pair, draw_card(pair.rank, Suit.HEARTS, px_per_mm=8))


def card_drawn_in_a(pair, card: CardImage) -> np.ndarray:
    """``card`` upright, exactly on A's card."""
    height, width = pair.photo_a.shape[:2]
    photo_from_tex = geometry.quad_homography(CARD_CORNERS_MM, pair.corners_a) @ np.linalg.inv(card.tex_from_mm())
    return cv2.warpPerspective(card.image, photo_from_tex, (width, height))


@pytest.mark.parametrize("rank,seed,flip", [("7", 0, True), ("3", 1, False), ("A", 2, True), ("K", 3, False), ("9", 4, True)])
def test_truth_lays_b_card_on_a_card(rank, seed, flip):
    pair = make_pair(rank, seed, upside_down=flip)
    # Measured on A's card and a 15 px band around it, where a misplaced card shows most.
    aligned = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b), pair.photo_a, blur=3, grow=15)
    unaligned = correlation_inside_a(pair, pair.photo_b, pair.photo_a, blur=3, grow=15)
    assert aligned > 0.93
    assert 1 - aligned < 0.5 * (1 - unaligned)


@pytest.mark.parametrize("rank,seed", [("7", 0), ("A", 1), ("3", 2), ("5", 3), ("9", 4)])
def test_truth_of_an_upside_down_card_includes_the_half_turn(rank, seed):
    pair = make_pair(rank, seed, upside_down=True)
    assert pair.orientation == 180
    expected = heart_card_drawn_in_a(pair)
    right = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b), expected, blur=1)
    turned_back = pair.a_from_b @ geometry.half_turn(pair.corners_b)
    wrong = correlation_inside_a(pair, warp_to_a(pair, turned_back), expected, blur=1)
    assert right > 0.95
    assert right > wrong + 0.03
    # B's own top-left corner lies where A's bottom-right is: the card was laid the other way round.
    assert np.linalg.norm(pair.corners_b[0] - pair.corners_a[2]) < 0.15 * 600
    assert np.linalg.norm(pair.corners_b[0] - pair.corners_a[0]) > 0.3 * 600


def edge_points(corners: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Points 30-70% along edge i (corner i to i + 1), clear of the indices, and the edge's outward normal."""
    p0, p1 = corners[i], corners[(i + 1) % 4]
    normal = np.array([p1[1] - p0[1], p0[0] - p1[0]]) / np.linalg.norm(p1 - p0)
    normal *= np.sign(np.dot(normal, p0 - corners.mean(axis=0)))
    return p0 + np.linspace(0.3, 0.7, 5)[:, None] * (p1 - p0), normal


def edge_offsets(photo: np.ndarray, corners: np.ndarray, reach: float = 6.0) -> np.ndarray:
    """Where the card's edge is in the pixels: (4 edges, 5 points) signed px from each truth edge, + outward.

    Along the normal through the points of :func:`edge_points`, the paper's
    brightness (min over channels: the paper is bright in all three, every table is not) is
    sampled every 1/4 px; the edge is where it crosses halfway between inside and outside.
    """
    paper = photo.min(axis=2).astype(np.float32)
    steps = np.arange(-reach, reach + 1e-9, 0.25)
    offsets = np.zeros((4, 5))
    for i in range(4):
        points, normal = edge_points(corners, i)
        for j, point in enumerate(points):
            xy = (point + steps[:, None] * normal).astype(np.float32)
            profile = cv2.remap(paper, xy[:, :1], xy[:, 1:], cv2.INTER_LINEAR).ravel()
            level = (profile[steps <= -3].mean() + profile[steps >= 3].mean()) / 2
            k = np.nonzero((profile[:-1] >= level) & (profile[1:] < level))[0][0]
            offsets[i, j] = steps[k] + 0.25 * (profile[k] - level) / (profile[k] - profile[k + 1])
    return offsets


def assert_on_the_edges(offsets: np.ndarray) -> None:
    """The truth's outline lies on the card's edge in the pixels.

    Measured: every edge 0.0 to 0.35 px inside the truth (the drop shadow darkens the table
    next to the card), opposite edges within 0.15 px of each other. A card drawn half a texel
    off, or a homography a pixel out, moves one edge out and the opposite one in.
    """
    per_edge = offsets.mean(axis=1)
    assert np.all(per_edge > -0.45) and np.all(per_edge < 0.2), per_edge
    assert per_edge.max() - per_edge.min() < 0.25, per_edge
    assert np.abs(offsets).max() < 0.7, offsets


@pytest.mark.parametrize("rank,seed,flip", [("3", 1, True), ("7", 7, True), ("8", 2, False), ("K", 3, False)])
def test_truth_corners_and_homography_match_the_photographed_card(rank, seed, flip):
    """Checked against the rendered pixels, not against the homographies the truth was computed from."""
    pair = make_pair(rank, seed, upside_down=flip)
    assert_on_the_edges(edge_offsets(pair.photo_a, pair.corners_a))
    b_offsets = edge_offsets(pair.photo_b, pair.corners_b)
    assert_on_the_edges(b_offsets)
    # B's edge as seen in B's pixels, carried by a_from_b, lands on A's card edge.
    carried = np.zeros((4, 5))
    for i in range(4):
        points_b, normal_b = edge_points(pair.corners_b, i)
        seen_in_a = geometry.apply_homography(pair.a_from_b, points_b + b_offsets[i][:, None] * normal_b)
        points_a, normal_a = edge_points(pair.corners_a, i)
        carried[i] = (seen_in_a - points_a) @ normal_a
    assert_on_the_edges(carried)


@pytest.mark.parametrize("seed", range(6))
def test_card_stays_inside_the_frame(seed):
    pair = make_pair("8", seed, config=TINY)
    for corners in (pair.corners_a, pair.corners_b):
        assert corners.min() > 0.03 * 360
        assert np.all(corners.max(axis=0) < np.array([480, 360]) * 0.97)


def test_deck_plan_flips_exactly_the_asked_fraction_of_odd_cards():
    plan = deck_plan(26, seed=5, upside_down=0.4)
    assert [stem for stem, _, _ in plan] == sorted(stem for stem, _, _ in plan)
    flipped = [rank for _, rank, flip in plan if flip]
    assert len(flipped) == 4  # 10 odd cards in two suits' worth of ranks
    assert all(rank in ODD_RANKS for rank in flipped)
    assert deck_plan(26, seed=5, upside_down=0.4) == plan


def test_deck_plan_may_turn_every_rank():
    """--turned-ranks all: a one-way 6 or 8 can lie upside down too (orientation's missed flips
    on them are measured only then); the odd-only plan is the one from before the option."""
    plan = deck_plan(26, seed=5, upside_down=0.5, turned_ranks=TurnedRanks.ALL)
    flipped = [rank for _, rank, flip in plan if flip]
    assert len(flipped) == 13
    assert any(rank not in ODD_RANKS for rank in flipped)
    # deck_plan(26, 5, 0.4) at ee4568f, before --turned-ranks existed
    assert [stem for stem, _, flip in deck_plan(26, seed=5, upside_down=0.4) if flip] == ["02-3", "13-A", "17-5", "21-9"]


def test_an_even_card_laid_upside_down_is_turned_in_the_truth():
    """A one-way 6 (the modern design's middle-row pips point one way) laid upside down: the
    truth's homography lays B's card on A's the right way round, its pips on A's pips turned."""
    pair = simulate_pair("6", np.random.default_rng(7), SimConfig(size=(800, 600)), upside_down=True,
                         deck=BuiltInDeck(Design.MODERN))
    assert pair.orientation == 180
    expected = card_drawn_in_a(pair, BuiltInDeck(Design.MODERN).card("6", Suit.HEARTS, px_per_mm=8))
    right = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b), expected, blur=1)
    wrong = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b @ geometry.half_turn(pair.corners_b)), expected,
                                 blur=1)
    assert right > 0.95 and right > wrong + 0.03


def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path):
    simulate_set(tmp_path / "one", pairs=3, seed=11, config=TINY, workers=1)
    simulate_set(tmp_path / "two", pairs=3, seed=11, config=TINY, workers=2)
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert len(files) == 7
    for name in files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    simulate_set(tmp_path / "other", pairs=3, seed=12, config=TINY, workers=1)
    assert (tmp_path / "other" / files[0]).read_bytes() != (tmp_path / "one" / files[0]).read_bytes()


def test_exif_tagged_photos_display_as_the_truth_describes(tmp_path):
    simulate_set(tmp_path, pairs=2, seed=3, config=SimConfig(size=(480, 360), exif=1.0), workers=1)
    truth = (tmp_path / "truth.csv").read_text().splitlines()
    header = truth[0].split(",")
    for line in truth[1:]:
        row = dict(zip(header, line.split(",")))
        for side in "AB":
            path = tmp_path / side / f"{row['pair']}.jpg"
            assert b"Exif" in path.read_bytes()[:64]
            stored = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
            displayed = read_image(path)
            assert displayed.shape[:2] == (360, 480)
            assert stored.shape[:2] == ((480, 360) if row[f"exif_{side.lower()}"] in ("6", "8") else (360, 480))


def test_bad_config_is_refused():
    with pytest.raises(CardprepError, match="size"):
        SimConfig(size=(100, 80))
    with pytest.raises(CardprepError, match="upside_down"):
        SimConfig(upside_down=1.5)


def test_cli_writes_a_set_and_reports(tmp_path):
    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "raw"), "--pairs", "2", "--size", "480x360",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "2 pairs" in result.output
    assert sorted(p.name for p in (tmp_path / "raw" / "A").iterdir()) == ["00-A.jpg", "01-2.jpg"]


def test_cli_refuses_bad_input_without_traceback(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", str(tmp_path / "raw"), "--size", "big"])
    assert result.exit_code == 1 and "WIDTHxHEIGHT" in result.output and "Traceback" not in result.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["simulate", str(tmp_path / "mine"), "--pairs", "1", "--size", "480x360"])
    assert result.exit_code == 1 and "not a simulator output" in result.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_there_are_at_least_three_real_deck_designs_to_photograph():
    assert len(REAL_DESIGNS) >= 3
    for design in REAL_DESIGNS:
        assert (DECKS / design / "README.md").is_file() and any((DECKS / design / "upstream").iterdir())


@pytest.mark.parametrize("design", REAL_DESIGNS)
def test_a_loaded_deck_is_photographed_where_the_truth_says(design):
    deck = load_deck(DECKS / design)
    pair = simulate_pair("7", np.random.default_rng(5), SMALL, upside_down=True, deck=deck)
    club, heart = (deck.card("7", suit, px_per_mm=8) for suit in Suit)
    assert correlation_inside_a(pair, pair.photo_a, card_drawn_in_a(pair, club), blur=1) > 0.9
    expected = card_drawn_in_a(pair, heart)
    right = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b), expected, blur=1)
    wrong = correlation_inside_a(pair, warp_to_a(pair, pair.a_from_b @ geometry.half_turn(pair.corners_b)), expected, blur=1)
    assert right > 0.9 and right > wrong + 0.03


def test_cli_photographs_a_deck_folder(tmp_path):
    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "raw"), "--pairs", "2", "--size", "480x360",
                                      "--workers", "1", "--deck", str(DECKS / REAL_DESIGNS[0])])
    assert result.exit_code == 0, result.output
    assert f"2 pairs of the {REAL_DESIGNS[0]} deck" in result.output
    assert len((tmp_path / "raw" / "truth.csv").read_text().splitlines()) == 3


def test_cli_names_the_cards_a_deck_folder_lacks(tmp_path):
    folder = tmp_path / "deck"
    folder.mkdir()
    for name in ("A-clubs.png", "2-hearts.png", "7-clubs.png"):
        shutil.copyfile(DECKS / REAL_DESIGNS[0] / name, folder / name)
    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "raw"), "--pairs", "2", "--deck", str(folder)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no face for A-hearts, 2-clubs" in result.output
    assert not (tmp_path / "raw").exists()  # refused before anything was written


def test_cli_draws_the_built_in_deck_in_the_design_asked(tmp_path):
    runner = CliRunner()
    for design in ("classic", "full-art"):
        result = runner.invoke(app, ["simulate", str(tmp_path / design), "--pairs", "1", "--size", "480x360",
                                     "--workers", "1", "--design", design, "--seed", "3"])
        assert result.exit_code == 0 and f"of the {design} deck" in result.output, result.output
    # Same seed, same camera and table: only the card differs.
    assert (tmp_path / "classic" / "truth.csv").read_text() == (tmp_path / "full-art" / "truth.csv").read_text()
    assert (tmp_path / "classic" / "A" / "00-A.jpg").read_bytes() != (tmp_path / "full-art" / "A" / "00-A.jpg").read_bytes()
    result = runner.invoke(app, ["simulate", str(tmp_path / "both"), "--design", "modern", "--deck", str(DECKS / REAL_DESIGNS[0])])
    assert result.exit_code == 1 and "not both" in result.output


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "--seed"),
    (["--workers", "-1"], "--workers"),
    (["--size", "100x100"], "320 px"),
])
def test_meaningless_options_are_one_line_errors(tmp_path, args, message):
    """Issue 13: a negative seed was a numpy traceback, negative workers were accepted, and
    the help's size range disagreed with the check."""
    from typer.testing import CliRunner

    from cardprep.cli import app

    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "out"), "--pairs", "1", *args])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()
    assert "320 px" in CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200"}).output

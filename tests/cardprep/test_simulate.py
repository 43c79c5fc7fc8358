import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep import geometry
from cardprep.cli import app
from cardprep.sim.deck import Suit, draw_card
from cardprep.spec import ODD_RANKS
from cardprep.errors import CardprepError
from cardprep.common.images import read_image
from cardprep.sim.photos import CARD_CORNERS_MM, SimConfig, deck_plan, simulate_set

from .conftest import make_pair

TINY = SimConfig(size=(480, 360))


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
    height, width = pair.photo_a.shape[:2]
    card = draw_card(pair.rank, Suit.HEARTS, px_per_mm=8)
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


def test_truth_is_exact_on_corners(flipped_seven):
    np.testing.assert_allclose(geometry.apply_homography(flipped_seven.a_from_b, flipped_seven.corners_b),
                               flipped_seven.corners_a, atol=1e-6)


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

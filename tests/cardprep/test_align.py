"""cardprep align against the simulator's exact truth, and its failure handling."""

import csv
import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep import geometry
from cardprep.align import AlignConfig, Frame, OnFlip, Status, align_folder
from cardprep.card_frame import card_corners_in_frame
from cardprep.cli import app
from cardprep.common.errors import UserError
from cardprep.sim.photos import SimConfig, simulate_set

SIM = SimConfig(size=(1024, 768), upside_down=0.6, exif=0.2)


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """13 pairs, A to K, three odd cards upside down, some EXIF-tagged photos."""
    folder = tmp_path_factory.mktemp("raw")
    simulate_set(folder, pairs=13, seed=11, config=SIM, workers=1)
    return folder


@pytest.fixture(scope="module")
def aligned(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("aligned") / "out"
    return align_folder(raw, out, workers=2)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_pair_within_a_pixel_of_the_truth(raw, aligned):
    truth = {row["pair"]: row for row in read_csv(raw / "truth.csv")}
    report = {row["pair"]: row for row in read_csv(aligned.out / "report.csv")}
    assert set(report) == set(truth)
    errors = []
    for stem, row in report.items():
        assert row["status"] == "ok", (stem, row["reason"])
        corners_a = geometry.parse_floats(truth[stem]["corners_a"], (4, 2))
        corners_b = geometry.parse_floats(truth[stem]["corners_b"], (4, 2))
        errors.append(geometry.corner_errors(geometry.parse_floats(row["homography"], (3, 3)), corners_b, corners_a))
    errors = np.concatenate(errors)
    assert np.median(errors) <= 0.3
    assert errors.max() <= 1.0


def test_orientation_and_rank_are_read_right(raw, aligned):
    truth = {row["pair"]: row for row in read_csv(raw / "truth.csv")}
    report = read_csv(aligned.out / "report.csv")
    assert sum(row["orientation"] == "180" for row in report) >= 2
    for row in report:
        assert row["orientation"] == truth[row["pair"]]["orientation"], row["pair"]
        rank = truth[row["pair"]]["rank"]
        assert row["rank"] == row["rank_b"] == ("face" if rank in "JQK" else rank)
        assert float(row["score"]) > 0.9


def test_an_upside_down_card_is_turned_and_its_table_kept(raw, aligned):
    """After the fix the heart card's pips lie where the club card's do."""
    flipped = [row["pair"] for row in read_csv(raw / "truth.csv") if row["orientation"] == "180"]
    for stem in flipped:
        a = cv2.imread(str(aligned.out / "A" / f"{stem}.png"))
        b = cv2.imread(str(aligned.out / "B" / f"{stem}.png"))
        ink_a, ink_b = (cv2.GaussianBlur(255 - img.min(axis=2), (0, 0), 6).astype(float) for img in (a, b))
        mask = ink_a > 0  # whole frame
        assert np.corrcoef(ink_a[mask], ink_b[mask])[0, 1] > 0.6, stem
        # the table in the corners of the frame is B's own, not turned with the card
        corner = (slice(0, 40), slice(0, 40))
        assert np.abs(a[corner].astype(int) - b[corner].astype(int)).mean() < 60


def test_outputs_follow_the_contract(aligned):
    for side in ("A", "B"):
        images = sorted((aligned.out / side).glob("*.png"))
        assert len(images) == 13
        assert cv2.imread(str(images[0])).shape == (512, 512, 3)
    assert len(list((aligned.out / "overlays").glob("*.jpg"))) == 13
    assert "cardprep align report" in (aligned.out / "report.html").read_text()


def test_rerun_is_idempotent_and_inputs_untouched(raw, aligned, tmp_path):
    before = tree_hashes(raw)
    out = tmp_path / "again"
    align_folder(raw, out, workers=1)
    first = tree_hashes(out)
    align_folder(raw, out, workers=2)
    assert tree_hashes(out).keys() == first.keys()
    drop_timing = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_timing(read_csv(out / "report.csv")) == drop_timing(read_csv(aligned.out / "report.csv"))
    pictures = {k: v for k, v in first.items() if k.endswith((".png", ".jpg"))}
    assert pictures == {k: v for k, v in tree_hashes(out).items() if k in pictures}
    assert tree_hashes(raw) == before


@pytest.mark.parametrize("on_flip,status", [(OnFlip.FLAG, "flagged"), (OnFlip.SKIP, "failed")])
def test_on_flip_flag_and_skip(raw, tmp_path, on_flip, status):
    stem = next(row["pair"] for row in read_csv(raw / "truth.csv") if row["orientation"] == "180")
    one = tmp_path / "one"
    for side in ("A", "B"):
        (one / side).mkdir(parents=True)
        shutil.copy(raw / side / f"{stem}.jpg", one / side)
    summary = align_folder(one, tmp_path / "out", AlignConfig(on_flip=on_flip), workers=1)
    (result,) = summary.results
    assert (result.status, result.orientation) == (status, 180)
    assert "upside down" in result.reason
    assert (tmp_path / "out" / "B" / f"{stem}.png").exists() == (status == "flagged")


def test_card_frame_is_the_models_square_view_of_the_card(raw, tmp_path):
    """--frame card writes both cards in cardprep.card_frame's square view: paper inside the
    outline where the card frame puts it, A's table in the margin, B's card on A's pixels."""
    summary = align_folder(raw, tmp_path / "cards", AlignConfig(frame=Frame.CARD, size=176), workers=2)
    assert summary.counts[Status.OK] == 13
    outline = card_corners_in_frame(176)
    inside = np.zeros((176, 176), np.uint8)
    cv2.fillConvexPoly(inside, np.round(outline).astype(np.int32), 1)
    core, rim = cv2.erode(inside, np.ones((9, 9), np.uint8)) == 1, cv2.dilate(inside, np.ones((5, 5), np.uint8)) == 0
    for stem in ("00-A", "04-5", "11-Q"):
        a, b = (cv2.imread(str(tmp_path / "cards" / side / f"{stem}.png")) for side in ("A", "B"))
        assert a.shape == b.shape == (176, 176, 3)
        paper_a, paper_b = a.min(axis=2).astype(float), b.min(axis=2).astype(float)
        assert np.median(paper_a[core]) > 150 and np.median(paper_b[core]) > 150
        assert np.median(paper_a[rim]) < np.median(paper_a[core]) - 40  # table, not card, in the margin
        edges_a, edges_b = (cv2.Canny(img, 60, 160) > 0 for img in (a, b))
        ring = (cv2.dilate(inside, np.ones((5, 5), np.uint8)) - cv2.erode(inside, np.ones((5, 5), np.uint8))) == 1
        assert (edges_a & ring).sum() > 200 and (edges_b & ring).sum() > 200  # both outlines on the same ring


@pytest.fixture()
def hostile(raw, tmp_path) -> Path:
    """Three good pairs and one of each kind of bad pair."""
    folder = tmp_path / "hostile"
    for side in ("A", "B"):
        (folder / side).mkdir(parents=True)
        for stem in ("01-2", "04-5", "07-8"):
            shutil.copy(raw / side / f"{stem}.jpg", folder / side)
    table = cv2.imread(str(raw / "A" / "01-2.jpg"))[:200, :200]
    cv2.imwrite(str(folder / "A" / "nocard.jpg"), cv2.resize(table, (1024, 768)))
    shutil.copy(raw / "B" / "01-2.jpg", folder / "B" / "nocard.jpg")
    (folder / "A" / "text.jpg").write_text("not a photo")
    shutil.copy(raw / "B" / "01-2.jpg", folder / "B" / "text.jpg")
    shutil.copy(raw / "A" / "01-2.jpg", folder / "A" / "lonely.jpg")
    shutil.copy(raw / "B" / "04-5.jpg", folder / "A" / "swapped.jpg")  # the heart card as A
    shutil.copy(raw / "A" / "04-5.jpg", folder / "B" / "swapped.jpg")
    return folder


def test_bad_pairs_fail_with_reasons_while_the_rest_are_done(hostile, tmp_path):
    before = tree_hashes(hostile)
    result = CliRunner().invoke(app, ["align", str(hostile), str(tmp_path / "out"), "--workers", "2"])
    assert result.exit_code == 1
    rows = {row["pair"]: row for row in read_csv(tmp_path / "out" / "report.csv")}
    assert [rows[s]["status"] for s in ("01-2", "04-5", "07-8")] == ["ok"] * 3
    assert rows["nocard"]["status"] == "failed" and "no card" in rows["nocard"]["reason"]
    assert rows["text"]["status"] == "failed" and "text.jpg" in rows["text"]["reason"]
    assert rows["lonely"]["status"] == "failed" and "partner" in rows["lonely"]["reason"]
    assert rows["swapped"]["status"] == "flagged" and "suits swapped" in rows["swapped"]["reason"]
    assert "7 pairs: 3 ok, 1 flagged, 3 failed" in result.stdout
    assert tree_hashes(hostile) == before
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.index("nocard") < page.index("swapped") < page.index("01-2")


def test_strict_fails_on_flags(hostile, tmp_path):
    for stem in ("nocard", "text", "lonely"):
        for side in ("A", "B"):
            (hostile / side / f"{stem}.jpg").unlink(missing_ok=True)
    runner = CliRunner()
    assert runner.invoke(app, ["align", str(hostile), str(tmp_path / "a"), "--workers", "1"]).exit_code == 0
    assert runner.invoke(app, ["align", str(hostile), str(tmp_path / "b"), "--workers", "1", "--strict"]).exit_code == 1


def test_two_cards_in_one_photo_fail_the_pair(raw, tmp_path):
    folder = tmp_path / "two"
    for side in ("A", "B"):
        (folder / side).mkdir(parents=True)
    photo = cv2.imread(str(raw / "A" / "01-2.jpg"))
    small = cv2.resize(photo, None, fx=0.5, fy=0.5)
    cv2.imwrite(str(folder / "A" / "x.jpg"), np.hstack([small, small]))
    shutil.copy(raw / "B" / "01-2.jpg", folder / "B" / "x.jpg")
    (result,) = align_folder(folder, tmp_path / "out", workers=1).results
    assert result.status == "failed" and "two or more cards" in result.reason


def test_refuses_to_replace_a_folder_that_is_not_an_align_output(raw, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(UserError, match="not an align output"):
        align_folder(raw, tmp_path / "photos", workers=1)
    assert (tmp_path / "photos" / "holiday.jpg").read_bytes() == b"precious"


def test_an_output_folder_that_cannot_be_made_is_a_one_line_error(raw, tmp_path):
    (tmp_path / "plain-file").write_text("x")
    result = CliRunner().invoke(app, ["align", str(raw), str(tmp_path / "plain-file" / "out")])
    assert result.exit_code == 1
    assert "plain-file" in result.output and "Traceback" not in result.output
    assert not list(raw.parent.glob(".out.partial-*"))

"""Orientation in align: the user's --turn/--keep over the pips, and uncertain pairs flagged
with both candidates pictured."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep.align import AlignConfig, Frame, Overrides, Status, align_folder
from cardprep.align import pipeline
from cardprep.card_frame import card_corners_in_frame
from cardprep.cli import app
from cardprep.errors import CardprepError
from cardprep.orient import OrientationDecision

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "raw"
UPRIGHT_ODD, UPSIDE_DOWN = "06-7", "02-3"  # samples/raw/truth.csv: orientation 0 and 180
CARD = AlignConfig(frame=Frame.CARD, size=160)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    for side in ("A", "B"):
        (folder / side).mkdir()
        for stem in (UPRIGHT_ODD, UPSIDE_DOWN):
            shutil.copy(SAMPLES / side / f"{stem}.jpg", folder / side)
    return folder


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "report.csv").open(newline="") as file:
        return {row["pair"]: row for row in csv.DictReader(file)}


def card_core(image: np.ndarray) -> np.ndarray:
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, np.round(card_corners_in_frame(image.shape[0])).astype(np.int32), 1)
    return cv2.erode(inside, np.ones((9, 9), np.uint8)) == 1


def test_the_pips_decide_and_the_report_says_how_sure(raw: Path, tmp_path: Path) -> None:
    summary = align_folder(raw, tmp_path / "out", CARD, workers=1)
    assert summary.counts[Status.OK] == 2
    report = rows(tmp_path / "out")
    assert (report[UPRIGHT_ODD]["orientation"], report[UPSIDE_DOWN]["orientation"]) == ("0", "180")
    assert all(r["orientation_source"] == "pips" and float(r["orientation_confidence"]) >= 0.8 for r in report.values())


def test_turn_overrides_the_pips_and_turns_the_card(raw: Path, tmp_path: Path) -> None:
    """In the card frame a half turn of the card is a half turn of the image (the frame is
    symmetric about its centre), so B with --turn is B without it, rotated."""
    align_folder(raw, tmp_path / "plain", CARD, workers=1)
    align_folder(raw, tmp_path / "turned", CARD, overrides=Overrides(turn=frozenset({UPRIGHT_ODD})), workers=1)
    row = rows(tmp_path / "turned")[UPRIGHT_ODD]
    assert (row["orientation"], row["orientation_source"], row["status"]) == ("180", "--turn", "ok")
    plain, turned = (cv2.imread(str(tmp_path / run / "B" / f"{UPRIGHT_ODD}.png")) for run in ("plain", "turned"))
    core = card_core(plain)
    rotated = np.rot90(plain, 2)
    assert np.abs(turned.astype(int) - rotated.astype(int))[core].mean() < 6
    assert np.abs(turned.astype(int) - plain.astype(int))[core].mean() > 10


def test_keep_overrides_an_upside_down_reading(raw: Path, tmp_path: Path) -> None:
    align_folder(raw, tmp_path / "out", CARD, overrides=Overrides(keep=frozenset({UPSIDE_DOWN})), workers=1)
    row = rows(tmp_path / "out")[UPSIDE_DOWN]
    assert (row["orientation"], row["orientation_source"]) == ("0", "--keep")


def test_an_uncertain_pair_is_flagged_with_the_other_way_pictured(raw: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    unsure = OrientationDecision(False, 0.3, "evidence +0.20", True)
    monkeypatch.setattr(pipeline, "decide_orientation", lambda *args, **kwargs: unsure)
    align_folder(raw, tmp_path / "out", CARD, workers=1)
    row = rows(tmp_path / "out")[UPRIGHT_ODD]
    assert row["status"] == "flagged" and "orientation uncertain" in row["reason"] and "--turn" in row["reason"]
    other = cv2.imread(str(tmp_path / "out" / "other" / f"{UPRIGHT_ODD}.jpg"))
    written = cv2.imread(str(tmp_path / "out" / "B" / f"{UPRIGHT_ODD}.png"))
    assert np.abs(other.astype(int) - np.rot90(written, 2).astype(int))[card_core(written)].mean() < 8
    assert f'src="other/{UPRIGHT_ODD}.jpg"' in (tmp_path / "out" / "report.html").read_text()
    align_folder(raw, tmp_path / "kept", CARD, overrides=Overrides(keep=frozenset({UPRIGHT_ODD})), workers=1)
    kept = rows(tmp_path / "kept")[UPRIGHT_ODD]
    assert (kept["status"], kept["orientation_source"]) == ("ok", "--keep")
    assert not (tmp_path / "kept" / "other" / f"{UPRIGHT_ODD}.jpg").exists()


def test_a_pair_named_twice_or_not_at_all_is_refused_before_any_work(raw: Path, tmp_path: Path) -> None:
    with pytest.raises(CardprepError, match="both name 06-7"):
        Overrides(turn=frozenset({UPRIGHT_ODD}), keep=frozenset({UPRIGHT_ODD}))
    with pytest.raises(CardprepError, match="06-77, which is not a pair"):
        align_folder(raw, tmp_path / "out", CARD, overrides=Overrides(turn=frozenset({"06-77"})), workers=1)
    assert not (tmp_path / "out").exists()


def test_the_cli_takes_stems_repeated_or_comma_separated(raw: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["align", str(raw), str(tmp_path / "out"), "--frame", "card", "--size", "160",
                                      "--workers", "1", "--turn", f"{UPRIGHT_ODD},{UPSIDE_DOWN}"])
    assert result.exit_code == 0, result.output
    assert {r["orientation_source"] for r in rows(tmp_path / "out").values()} == {"--turn"}
    result = CliRunner().invoke(app, ["align", str(raw), str(tmp_path / "bad"), "--turn", "nope", "--keep", "nope"])
    assert result.exit_code == 1 and "both name nope" in result.output

"""align given what a careless user gives it (issue 13): each case fails safe and says why."""

import hashlib
import html
import re
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep.align import AlignConfig, Status, align_folder, align_pair
from cardprep.cli import app
from cardprep.common.images import write_image
from cardprep.detect import CardNotFound
from cardprep.errors import CardprepError
from cardprep.register import EccFailed
from cardprep.sim.photos import SimPair
from tests.cardprep.conftest import make_pair

runner = CliRunner()


@pytest.fixture(scope="module")
def pair() -> SimPair:
    return make_pair("4", 4)


@pytest.fixture(scope="module")
def photos(pair):
    """One small simulated pair (800x600), as arrays."""
    return pair.photo_a, pair.photo_b


def raw_folder(root: Path, photos, stems: list[str]) -> Path:
    for side, photo in zip(("A", "B"), photos):
        (root / side).mkdir(parents=True, exist_ok=True)
        for stem in stems:
            write_image(root / side / f"{stem}.png", photo)
    return root


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("raw_at,out_at", [
    ("raw", "raw"),  # cardprep align x x
    ("raw", "raw/aligned"),  # OUT inside RAW
    ("prev/myraw", "prev"),  # RAW inside an earlier align output, which would be replaced
])
def test_an_output_that_overlaps_the_photos_is_refused_before_any_work(photos, tmp_path, monkeypatch,
                                                                       raw_at, out_at):
    raw = raw_folder(tmp_path / raw_at, photos, ["x"])
    (tmp_path / "prev").mkdir(exist_ok=True)
    (tmp_path / "prev" / "report.csv").write_text("pair,status\n")  # looks like an align output
    before = tree_hashes(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["align", raw_at, out_at])
    assert result.exit_code == 1
    assert "must lie outside the photo folder" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert tree_hashes(tmp_path) == before
    assert not [p for p in tmp_path.rglob(".*") if "partial" in p.name]


def test_report_links_are_url_encoded(photos, tmp_path):
    stems = ["a #1", "b?x=1", "c%20d", "e&f"]
    out = tmp_path / "out"
    align_folder(raw_folder(tmp_path / "raw", photos, stems), out, workers=1)
    page = (out / "report.html").read_text()
    links = [html.unescape(src) for src in re.findall(r'src="([^"]*)"', page)]
    assert len(links) == 3 * len(stems)
    for link in links:
        assert "#" not in link and "?" not in link  # a browser would cut the path there
        assert (out / unquote(link)).is_file(), link


def test_skipped_inputs_are_named_with_their_side(photos, tmp_path):
    raw = raw_folder(tmp_path / "raw", photos, ["good", "dup"])
    write_image(raw / "A" / "dup.jpg", photos[0])  # A/dup.png and A/dup.jpg
    (raw / "A" / "anim.gif").write_bytes(b"GIF89a")
    write_image(raw / "B" / "anim.png", photos[1])
    (raw / "A" / "folder.jpg").mkdir()
    write_image(raw / "B" / "folder.png", photos[1])
    (raw / "B" / "gone.png").symlink_to(tmp_path / "nowhere.png")
    write_image(raw / "A" / "gone.png", photos[0])
    result = runner.invoke(app, ["align", str(raw), str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 1
    expected = {"anim": "A/anim.gif is skipped", "dup": "more than one photo for this stem in A/",
                "folder": "A/folder.jpg is a folder", "gone": "B/gone.png is a broken link"}
    lines = result.output.splitlines()
    for stem, reason in expected.items():
        assert any(line.startswith(f"{stem}: failed: {reason}") for line in lines), (stem, result.output)
    rows = (tmp_path / "out" / "report.csv").read_text()
    assert all(reason in rows for reason in expected.values())
    assert "5 pairs: 1 ok, 0 flagged, 4 failed" in result.output


@pytest.mark.parametrize("photo_size", [(64, 48), (128, 96)])
def test_a_tiny_photo_fails_instead_of_passing(pair, photo_size):
    """A 64x48 photo used to pass as ok (and its pips read upside down)."""
    (x0, y0), (x1, y1) = pair.corners_a.min(axis=0) - 20, pair.corners_a.max(axis=0) + 20
    box = (slice(int(y0), int(y1)), slice(int(x0 - (y1 - y0) / 6), int(x1 + (y1 - y0) / 6)))
    tiny = [cv2.resize(photo[box], photo_size, interpolation=cv2.INTER_AREA) for photo in (pair.photo_a, pair.photo_b)]
    result, images = align_pair(*tiny)
    assert result.status is Status.FAILED and images is None
    size = "x".join(map(str, photo_size))
    assert re.fullmatch(rf"A: the card is only \d+ px long in a {size} photo; at least 80 px are needed to read "
                        "its pips", result.reason)


def test_the_progress_callback_knows_the_total(photos, tmp_path):
    raw = raw_folder(tmp_path / "raw", photos, ["a", "b", "c"])
    (raw / "A" / "lonely.png").write_bytes((raw / "A" / "a.png").read_bytes())
    calls = []
    align_folder(raw, tmp_path / "out", workers=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_report_paths_are_absolute(photos, tmp_path, monkeypatch):
    raw_folder(tmp_path / "raw", photos, ["x"])
    (tmp_path / "link").symlink_to(tmp_path / "raw")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    summary = align_folder(Path("../link"), Path("out"), workers=1)
    (result,) = summary.results
    assert Path(result.a_file).is_absolute() and Path(result.a_file) == (tmp_path / "raw" / "A" / "x.png").resolve()
    assert result.b_file in (tmp_path / "sub" / "out" / "report.csv").read_text()


def test_the_output_as_option_or_argument(photos, tmp_path, monkeypatch):
    raw = raw_folder(tmp_path / "raw", photos, ["x"])
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["align", "raw"]).exit_code == 0
    assert (tmp_path / "aligned" / "report.csv").is_file()  # the default
    assert runner.invoke(app, ["align", str(raw), "-o", str(tmp_path / "o1")]).exit_code == 0
    assert (tmp_path / "o1" / "B" / "x.png").is_file()
    same = runner.invoke(app, ["align", str(raw), str(tmp_path / "o2"), "--out", str(tmp_path / "o2")])
    assert same.exit_code == 0
    both = runner.invoke(app, ["align", str(raw), str(tmp_path / "o3"), "--out", str(tmp_path / "o4")])
    assert both.exit_code == 1 and "two outputs given" in both.output
    assert not (tmp_path / "o3").exists() and not (tmp_path / "o4").exists()


@pytest.mark.parametrize("changes,message", [
    ({"size": 20000}, "size must be a whole number of pixels from 32 to 8192, got 20000"),
    ({"size": 31}, "got 31"),
    ({"size": 64.5}, "got 64.5"),
    ({"frame": "photo"}, "frame must be one of photo, card"),
    ({"on_flip": "turn"}, "on_flip must be one of fix, flag, skip"),
])
def test_the_config_validates_itself(changes, message):
    with pytest.raises(CardprepError, match=re.escape(message)):
        AlignConfig(**changes)


def test_one_pair_is_one_pair_in_the_summary(photos, tmp_path):
    summary = align_folder(raw_folder(tmp_path / "raw", photos, ["x"]), tmp_path / "out", workers=1)
    assert summary.line().startswith("1 pair: 1 ok, 0 flagged, 0 failed in ")


def test_a_size_out_of_range_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["align", str(tmp_path), str(tmp_path / "out"), "--size", "20000"])
    assert result.exit_code == 1 and "size must be" in result.output and "Traceback" not in result.output


def test_the_pipeline_errors_are_user_errors():
    assert issubclass(CardNotFound, CardprepError) and issubclass(EccFailed, CardprepError)


def test_an_empty_photo_pair_in_memory_is_a_failed_result():
    blank = np.full((600, 800, 3), 90, np.uint8)
    result, images = align_pair(blank, blank)
    assert (result.status, images) == (Status.FAILED, None) and result.reason.startswith("A: ")

"""cardprep.frames and ``cardprep frames``: square frames of a video, atomically, with an index."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep.cli import app
from cardprep.common.errors import UserError
from cardprep.common.images import square_resize
from cardprep.frames import FrameFormat, extract_frames

FRAMES, FPS, WIDTH, HEIGHT = 23, 10, 160, 120


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A 2.3 s clip whose frame k shows a white bar at x = 40 + 2k, so frames can be told apart."""
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for k in range(FRAMES):
        frame = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
        frame[:, 40 + 2 * k: 48 + 2 * k] = 255
        writer.write(frame)
    writer.release()
    return path


def _bar_x(image: np.ndarray, crop_left: int, scale: float) -> float:
    """Where the bar's centre sits in the original frame."""
    columns = np.flatnonzero(image[..., 1].mean(axis=0) > 160)
    return (columns.mean() + 0.5) / scale - 0.5 + crop_left


def test_every_kth_frame_as_square_images_with_an_index(video, tmp_path):
    summary = extract_frames(video, tmp_path / "frames", size=64, every=5)
    assert (summary.written, summary.decoded, summary.fps) == (5, FRAMES, FPS)
    rows = list(csv.DictReader((tmp_path / "frames/frames.csv").open()))
    assert [r["file"] for r in rows] == [f"clip_{k:06d}.jpg" for k in (0, 5, 10, 15, 20)]
    assert [float(r["time_s"]) for r in rows] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    for row in rows:
        image = cv2.imread(str(tmp_path / "frames" / row["file"]))
        assert image.shape == (64, 64, 3)
        # the centred 120x120 square starts at x = 20; the bar of frame k is centred at 43.5 + 2k
        assert _bar_x(image, 20, 64 / 120) == pytest.approx(43.5 + 2 * int(row["frame"]), abs=1.0)


def test_png_and_every_frame(video, tmp_path):
    summary = extract_frames(video, tmp_path / "frames", size=32, fmt=FrameFormat.PNG)
    assert summary.written == FRAMES
    assert len(list((tmp_path / "frames").glob("clip_*.png"))) == FRAMES


def test_square_frame_takes_the_centre_of_portrait_and_landscape():
    landscape = np.zeros((100, 300, 3), np.uint8)
    landscape[:, 100:200] = 255
    assert square_resize(landscape, 50).min() == 255
    portrait = np.zeros((300, 100, 3), np.uint8)
    portrait[100:200] = 255
    assert square_resize(portrait, 50).min() == 255


def test_rerun_replaces_an_earlier_frames_folder_whole(video, tmp_path):
    extract_frames(video, tmp_path / "frames", size=32, every=1)
    extract_frames(video, tmp_path / "frames", size=32, every=10)
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [
        "clip_000000.jpg", "clip_000010.jpg", "clip_000020.jpg", "frames.csv"]


def _text_file(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("not a video")
    return path


@pytest.mark.parametrize("make, message", [
    (lambda folder: folder / "missing.mp4", "missing.mp4: no such file"),
    (_text_file, "notes.mp4: not a video OpenCV can read"),
    (lambda folder: folder, "is not a file"),
])
def test_bad_videos_are_named(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        extract_frames(make(tmp_path), tmp_path / "frames")
    assert not (tmp_path / "frames").exists()


@pytest.mark.parametrize("options, message", [({"every": 0}, "--every must be at least 1"), ({"size": 2}, "--size")])
def test_nonsense_options_are_refused(video, tmp_path, options, message):
    with pytest.raises(UserError, match=message):
        extract_frames(video, tmp_path / "frames", **options)


def test_refuses_to_replace_a_folder_it_did_not_write(video, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos/keep.jpg").write_bytes(b"keep")
    with pytest.raises(UserError, match="not a frames folder"):
        extract_frames(video, tmp_path / "photos")
    with pytest.raises(UserError, match="holds the video itself"):
        extract_frames(video, video.parent)
    assert (tmp_path / "photos/keep.jpg").read_bytes() == b"keep" and video.is_file()


def test_interrupted_extraction_leaves_nothing_behind(video, tmp_path):
    def interrupt(number: int, total: int | None) -> None:
        if number == 7:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        extract_frames(video, tmp_path / "frames", on_frame=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_cli_summary_and_error(video, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["frames", str(video), str(tmp_path / "f"), "--size", "32", "--every", "4"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("6 frames (1 in 4 of 23, 10 fps) as 32x32 jpg in ")
    result = runner.invoke(app, ["frames", str(tmp_path / "none.mp4"), str(tmp_path / "g")])
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.strip()] == [f"error: {tmp_path / 'none.mp4'}: no such file"]


def test_cli_takes_out_as_an_option_too(video, tmp_path):
    # issue 13, item 17: OUT positional in some commands, --out in others; both work everywhere
    runner = CliRunner()
    result = runner.invoke(app, ["frames", str(video), "-o", str(tmp_path / "f"), "--size", "16", "--every", "10"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["clip_000000.jpg", "clip_000010.jpg",
                                                                   "clip_000020.jpg", "frames.csv"]
    result = runner.invoke(app, ["frames", str(video), str(tmp_path / "a"), "--out", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "two outputs given" in result.stderr and not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_frames_into_the_current_folder(video, tmp_path, monkeypatch):
    # issue 13, items 6 and 7: OUT = . left hidden .partial-/.old- folders; outputs were 0700
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    old = os.umask(0o022)
    try:
        extract_frames(video, Path("."), size=16, every=10)
    finally:
        os.umask(old)
    assert sorted(p.name for p in (tmp_path / "here").iterdir()) == ["clip_000000.jpg", "clip_000010.jpg",
                                                                      "clip_000020.jpg", "frames.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["here"]
    assert stat.S_IMODE((tmp_path / "here/frames.csv").stat().st_mode) == 0o644


def test_frames_into_a_symlinked_folder_keep_the_link(video, tmp_path):
    # issue 13, item 8: the link was replaced by a real folder
    (tmp_path / "disk").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "disk")
    extract_frames(video, tmp_path / "out", size=16, every=10)
    assert (tmp_path / "out").is_symlink()
    assert len(list((tmp_path / "disk").glob("clip_*.jpg"))) == 3


def test_staged_output_folder_follows_the_umask(video, tmp_path):
    old = os.umask(0o022)
    try:
        extract_frames(video, tmp_path / "frames", size=16, every=10)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "frames").stat().st_mode) == 0o755

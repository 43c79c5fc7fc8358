"""cardprep.common.video: one reader, one writer (issue 14, item 3; issue 13, item 13)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from cardprep.common.errors import UserError
from cardprep.common.video import VideoReader, VideoWriter


def _frames(n: int, size: tuple[int, int] = (48, 32)) -> list[np.ndarray]:
    width, height = size
    return [np.full((height, width, 3), 20 * k, np.uint8) for k in range(n)]


def _write(path, n: int) -> None:
    with VideoWriter(path, 10) as video:
        for frame in _frames(n):
            video.write(frame)


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_written_video_reads_back(tmp_path, suffix):
    _write(tmp_path / f"v{suffix}", 7)
    with VideoReader(tmp_path / f"v{suffix}") as reader:
        assert (reader.frame_count, reader.fps) == (7, 10.0)
        frames = list(reader.frames(every=3))
    assert [number for number, _, _ in frames] == list(range(7))
    assert [number for number, _, frame in frames if frame is not None] == [0, 3, 6]
    assert frames[3][1] == pytest.approx(0.3)
    assert [p.name for p in tmp_path.iterdir()] == [f"v{suffix}"]


def test_an_interrupted_write_leaves_no_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with VideoWriter(tmp_path / "v.mp4", 10) as video:
            video.write(_frames(1)[0])
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, fps, message", [
    ("v.gif", 10, r"v.gif: video is written as .mp4 or .avi, not .gif"),  # made a folder v.gif
    ("v", 10, r"v: video is written as .mp4 or .avi, not a file without suffix"),
    ("v.mp4", 0, r"v.mp4: the frame rate must be positive, got 0 fps"),  # "cannot write this format"
    ("v.mp4", -2, r"got -2 fps"),
    ("v.mp4", math.nan, r"got nan fps"),
])
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, name, fps, message):
    # issue 13, item 13
    with pytest.raises(UserError, match=message):
        VideoWriter(tmp_path / name, fps)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_video_is_one_line_naming_it_and_ffmpeg_stays_quiet(tmp_path, capfd):
    # issue 13, item 13: FFmpeg printed "moov atom not found" with no file name
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    with pytest.raises(UserError, match=r"broken.mp4: not a video OpenCV can read \(unknown format, or damaged") as caught:
        VideoReader(path)
    assert "\n" not in str(caught.value) and "@ 0x" not in str(caught.value)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("make, message", [
    (lambda folder: folder / "missing.mp4", "missing.mp4: no such file"),
    (lambda folder: folder, "is not a file"),
])
def test_missing_inputs(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        VideoReader(make(tmp_path))


def test_the_file_is_released_however_the_loop_ends(tmp_path):
    _write(tmp_path / "v.mp4", 5)
    reader = VideoReader(tmp_path / "v.mp4")
    frames = reader.frames()
    next(frames)
    frames.close()  # an abandoned loop (break, an exception in the consumer)
    assert not reader._capture.isOpened()


def test_a_video_without_frames_is_an_error(tmp_path):
    path = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (16, 16))
    writer.release()  # a container with no frame
    with pytest.raises(UserError, match="empty.avi: "):
        list(VideoReader(path).frames())

"""Video -> square frame images, the input a trained model translates (the seed's test_in folder).

Each kept frame is cut to its centred square (where the card is filmed) and resized to
``size``; OUT/frames.csv maps every file to its frame number and time in the video, so the
translated frames can be put back in order and in time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cardprep.common.atomic import check_replaceable, staged_dir
from cardprep.common.images import encode_image, square_resize
from cardprep.common.video import VideoReader
from cardprep.errors import CardprepError

INDEX_NAME = "frames.csv"


class FrameFormat(str, Enum):
    JPG = "jpg"  # quality 95, as the training set
    PNG = "png"  # lossless, 3-5x larger


@dataclass(frozen=True)
class FramesSummary:
    out: Path
    written: int  # frame images written
    decoded: int  # frames read from the video
    fps: float  # as the container states it (0 when it does not)


def extract_frames(video: str | Path, out: str | Path, *, size: int = 256, every: int = 1,
                   fmt: FrameFormat = FrameFormat.JPG,
                   on_frame: Callable[[int, int | None], None] | None = None) -> FramesSummary:
    """Write every ``every``-th frame of ``video`` to OUT/<video stem>_<frame number>.<fmt> and OUT/frames.csv.

    OUT is built under a temporary name and put in place whole at the end (see
    :func:`~cardprep.common.atomic.staged_dir`), so a failure or Ctrl-C leaves no half-written
    folder. ``on_frame(number, total)`` is told each decoded frame, with the frame count the
    container states (None when it does not say).
    """
    video, out = Path(video), Path(out)
    if not 8 <= size <= 4096:
        raise CardprepError(f"--size must be between 8 and 4096 px, got {size}")
    if every < 1:
        raise CardprepError(f"--every must be at least 1 (1: every frame), got {every}")
    with VideoReader(video) as reader:
        _check_out(out, video)
        with staged_dir(out) as stage:
            rows, decoded = _write_frames(reader, stage, size=size, every=every, fmt=fmt, on_frame=on_frame)
            _write_index(stage / INDEX_NAME, rows)
    return FramesSummary(out, len(rows), decoded, reader.fps)


def _check_out(out: Path, video: Path) -> None:
    """Refuse outputs whose replacement would destroy something that is not a frames folder."""
    if out.resolve() in video.resolve().parents:
        raise CardprepError(f"{out}: holds the video itself; choose another output folder")
    check_replaceable(out, marker=INDEX_NAME, kind="a frames folder")


def _write_frames(reader: VideoReader, stage: Path, *, size: int, every: int, fmt: FrameFormat,
                  on_frame: Callable[[int, int | None], None] | None) -> tuple[list[tuple[str, int, float]], int]:
    """Decode the video through; (rows of frames.csv, frames decoded)."""
    rows = []
    decoded = 0
    for number, seconds, frame in reader.frames(every):
        if frame is not None:
            name = f"{reader.path.stem}_{number:06d}.{fmt.value}"
            (stage / name).write_bytes(encode_image(square_resize(frame, size), f".{fmt.value}"))
            rows.append((name, number, seconds))
        if on_frame:
            on_frame(number, reader.frame_count)
        decoded = number + 1
    return rows, decoded


def _write_index(path: Path, rows: list[tuple[str, int, float]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("file", "frame", "time_s"))
    writer.writerows((name, number, f"{seconds:.6f}") for name, number, seconds in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")

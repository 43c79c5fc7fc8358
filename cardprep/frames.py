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

import cv2
import numpy as np

from cardprep.common.atomic import check_replaceable, staged_dir
from cardprep.errors import CardprepError
from cardprep.common.images import encode_image

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


def square_frame(frame: np.ndarray, size: int) -> np.ndarray:
    """The centred square of ``frame``, resized to ``size`` x ``size`` (area filter when shrinking)."""
    height, width = frame.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = frame[top:top + side, left:left + side]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interpolation)


def extract_frames(video: str | Path, out: str | Path, *, size: int = 256, every: int = 1,
                   fmt: FrameFormat = FrameFormat.JPG,
                   on_frame: Callable[[int, int | None], None] | None = None) -> FramesSummary:
    """Write every ``every``-th frame of ``video`` to OUT/<video stem>_<frame number>.<fmt> and OUT/frames.csv.

    OUT is built under a temporary name and swapped in whole at the end, so a failure or
    Ctrl-C leaves no half-written folder. ``on_frame(number, total)`` is told each decoded
    frame, with the frame count the container states (None when it does not say).
    """
    video, out = Path(video), Path(out)
    if not 8 <= size <= 4096:
        raise CardprepError(f"--size must be between 8 and 4096 px, got {size}")
    if every < 1:
        raise CardprepError(f"--every must be at least 1 (1: every frame), got {every}")
    capture = _open(video)
    try:
        _check_out(out, video)
        with staged_dir(out) as stage:
            rows, decoded = _write_frames(capture, video, stage, size=size, every=every, fmt=fmt, on_frame=on_frame)
            if not rows:
                raise CardprepError(f"{video}: no frame could be decoded (empty or damaged video)")
            _write_index(stage / INDEX_NAME, rows)
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        capture.release()
    return FramesSummary(out, len(rows), decoded, fps)


def _open(video: Path) -> cv2.VideoCapture:
    if not video.is_file():
        raise CardprepError(f"{video}: no such file" if not video.exists() else f"{video}: is not a file")
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        capture.release()
        raise CardprepError(f"{video}: not a video OpenCV can read (unknown format, or damaged)")
    return capture


def _check_out(out: Path, video: Path) -> None:
    """Refuse outputs whose replacement would destroy something that is not a frames folder."""
    if out.resolve() in video.resolve().parents:
        raise CardprepError(f"{out}: holds the video itself; choose another output folder")
    check_replaceable(out, marker=INDEX_NAME, kind="a frames folder")


def _write_frames(capture: cv2.VideoCapture, video: Path, stage: Path, *, size: int, every: int,
                  fmt: FrameFormat, on_frame: Callable[[int, int | None], None] | None) -> tuple[list[tuple[str, int, float]], int]:
    """Decode the video through; (rows of frames.csv, frames decoded)."""
    stated = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    total = stated if stated > 0 else None
    rows = []
    number = 0
    while capture.grab():  # grab without retrieve skips the colour conversion of dropped frames
        if number % every == 0:
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                break
            name = f"{video.stem}_{number:06d}.{fmt.value}"
            (stage / name).write_bytes(encode_image(square_frame(frame, size), f".{fmt.value}"))
            rows.append((name, number, capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0))
        if on_frame:
            on_frame(number, total)
        number += 1
    return rows, number


def _write_index(path: Path, rows: list[tuple[str, int, float]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("file", "frame", "time_s"))
    writer.writerows((name, number, f"{seconds:.6f}") for name, number, seconds in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")

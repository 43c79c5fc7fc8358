"""Reading and writing video, the one way both packages do it.

Reading: :class:`VideoReader` opens a file (any format OpenCV's FFmpeg reads) or raises one
UserError naming it; FFmpeg's own lines ("moov atom not found") are captured into that message
instead of leaking to the terminal. Its frame iterator releases the file on every path (end,
error, an abandoned loop). Writing: :class:`VideoWriter` writes .mp4 ('mp4v') or .avi (MJPG)
atomically, and refuses anything else (a .gif would otherwise become a folder or a silent
failure) and a frame rate that is not positive, before any work is done.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from cardprep.common.atomic import atomic_path
from cardprep.common.errors import UserError
from cardprep.common.noise import stderr_captured

VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".gif"})
FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}  # the containers OpenCV writes everywhere
_FFMPEG_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")  # "[mov,mp4,... @ 0x55d0...] "


class VideoReader:
    """An open video: ``frame_count`` and ``fps`` as the container states them (None and 0.0
    when it does not), and :meth:`frames` to decode it once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"{self.path}: no such file" if not self.path.exists() else f"{self.path}: is not a file")
        # Quiets FFmpeg when set before OpenCV's first use of it; the capture below covers a
        # process that used it earlier. Either way our message says it once, naming the file.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        with stderr_captured() as noise:
            self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            self._capture.release()
            detail = f": {_FFMPEG_PREFIX.sub('', noise[-1])}" if noise else ""
            raise UserError(f"{self.path}: not a video OpenCV can read (unknown format, or damaged{detail})")
        stated = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = stated if stated > 0 else None
        self.fps = max(float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0), 0.0)

    def frames(self, every: int = 1) -> Iterator[tuple[int, float, np.ndarray | None]]:
        """(frame number, time in s, frame) for each decoded frame; the frame is None for those
        not kept (only every ``every``-th is decoded to pixels). The file is released when the
        loop ends, however it ends; a video with no decodable frame is a UserError."""
        number = 0
        try:
            while self._capture.grab():  # grab without retrieve skips the colour conversion
                frame = None
                if number % every == 0:
                    ok, frame = self._capture.retrieve()
                    if not ok or frame is None:
                        break
                yield number, self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, frame
                number += 1
        finally:
            self.close()
        if number == 0:
            raise UserError(f"{self.path}: no frame could be decoded (empty or damaged video)")

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_video_output(path: Path, fps: float) -> None:
    """Refuse, before any work, a video OpenCV cannot write or a frame rate that is not positive."""
    suffix = path.suffix.lower()
    if suffix not in FOURCC:
        raise UserError(f"{path}: video is written as {' or '.join(FOURCC)}, not {suffix or 'a file without suffix'}")
    if not fps > 0:  # also refuses nan
        raise UserError(f"{path}: the frame rate must be positive, got {fps:g} fps")


class VideoWriter:
    """Frames into ``path`` (.mp4 or .avi), all of the same size, written under a temporary name
    and renamed into place when the block ends without an error.

    Use as ``with VideoWriter(path, fps) as video: video.write(frame)``; the frame size is taken
    from the first frame.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path, self.fps = Path(path), float(fps)
        check_video_output(self.path, self.fps)
        self.frames = 0
        self._stack = ExitStack()
        self._writer: cv2.VideoWriter | None = None

    def __enter__(self) -> VideoWriter:
        self._tmp = self._stack.enter_context(atomic_path(self.path))
        self._stack.callback(self._release)  # runs first: the file is complete before the rename
        return self

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*FOURCC[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, (frame.shape[1], frame.shape[0]))
            if not self._writer.isOpened():
                raise UserError(f"{self.path}: OpenCV cannot write {self.path.suffix} video on this machine")
        self._writer.write(frame)
        self.frames += 1

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.release()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool | None:
        return self._stack.__exit__(kind, error, traceback)

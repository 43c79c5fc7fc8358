"""``cardprep frames``: a video's frames as square images, ready for a trained model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cardprep.cli._common import app, output_path, progress_bar, user_errors
from cardprep.frames import FrameFormat, extract_frames


@app.command()
def frames(
    video: Annotated[Path, typer.Argument(help="Video file (any format OpenCV's FFmpeg reads: mp4, mov, avi, ...).")],
    out: Annotated[Path | None, typer.Argument(help="Folder to write (new, empty, or an earlier frames folder, which is replaced whole).", show_default=False)] = None,
    out_option: Annotated[Path | None, typer.Option("--out", "-o", help="The same as OUT.", show_default=False)] = None,
    size: Annotated[int, typer.Option(help="Side of the square images in px.")] = 256,
    every: Annotated[int, typer.Option(help="Keep every K-th frame (1: all).")] = 1,
    fmt: Annotated[FrameFormat, typer.Option("--format", help="jpg (quality 95, as the dataset) or png (lossless).")] = FrameFormat.JPG,
) -> None:
    """Write the frames of VIDEO as SIZE x SIZE images (the centred square of each frame) to OUT.

    Files are named <video stem>_<frame number>.<format>.

    OUT/frames.csv gives each file's frame number and time in the video.
    """
    start = time.perf_counter()
    with user_errors():
        out = output_path(out, out_option, default=None)
        with progress_bar() as bar:
            task = bar.add_task("reading frames", total=None)
            summary = extract_frames(video, out, size=size, every=every, fmt=fmt,
                                     on_frame=lambda number, total: bar.update(task, completed=number + 1, total=total))
    kept = f"1 in {every} of {summary.decoded}" if every > 1 else f"all of {summary.decoded}"
    typer.echo(f"{summary.written} frames ({kept}, {summary.fps:g} fps) as {size}x{size} {fmt.value} "
               f"in {time.perf_counter() - start:.1f} s -> {summary.out}")

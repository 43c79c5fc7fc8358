"""``cardprep video``: a simulated clip of a club card sliding across a table, to translate."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cardprep.cli._common import app, output_path, progress_bar, user_errors
from cardprep.cli.simulate import DeckOption, DesignOption, deck_from_options, parse_size
from cardprep.sim import Design, simulate_video


@app.command()
def video(
    out: Annotated[Optional[Path], typer.Argument(help="The mp4 file to write (replaced if it exists).", show_default=False)] = None,  # noqa: UP045
    out_option: Annotated[Optional[Path], typer.Option("--out", "-o", help="The mp4 file, as OUT.", show_default=False)] = None,  # noqa: UP045
    frames: Annotated[int, typer.Option(help="Number of frames.")] = 48,
    seed: Annotated[int, typer.Option(help="Random seed (0 or more): the same seed gives the same clip.", min=0)] = 0,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT; the card moves inside the centred square.")] = "384x384",
    rank: Annotated[str, typer.Option(help="The club card shown: A, 2, ..., 10, J, Q, K.")] = "7",
    fps: Annotated[float, typer.Option(help="Frame rate of the clip.")] = 12.0,
    design: DesignOption = Design.CLASSIC,
    deck: DeckOption = None,
) -> None:
    """Render a clip of a club card sliding, and slightly turning, across a table (mp4, 'mp4v').

    The frames are made like the simulator's photos and the card is as large as in align's
    photo frame: the input `cardtrain predict` turns into a heart card video.
    """
    start = time.perf_counter()
    with user_errors():
        out = output_path(out, out_option, default=None)
        cards = deck_from_options(design, deck)
        with progress_bar() as bar:
            task = bar.add_task("rendering", total=frames)
            summary = simulate_video(out, frames=frames, size=parse_size(size), seed=seed, rank=rank, fps=fps,
                                     deck=cards, on_frame=lambda _: bar.advance(task))
    width, height = summary.size
    typer.echo(f"{summary.frames} frames ({summary.rank} of clubs of the {summary.deck} deck on "
               f"{summary.surface.value}, {width}x{height}, {summary.fps:g} fps) in {time.perf_counter() - start:.1f} s -> {summary.out}")

"""``cardprep align``: register every club/heart pair and write the QA report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cardprep.align import AlignConfig, Frame, OnFlip, align_folder
from cardprep.cli import app
from cardprep.cli._common import progress_bar, user_errors
from cardprep.errors import CardprepError


@app.command()
def align(
    raw: Annotated[Path, typer.Argument(help="Folder with A/ (club photos) and B/ (heart photos), paired by file stem.")],
    out: Annotated[Path, typer.Argument(help="Output folder: A/, B/ (aligned PNGs), overlays/, report.csv, report.html. Replaced whole on a rerun.")] = Path("aligned"),
    frame: Annotated[Frame, typer.Option(help="photo: A's photo cut square around the card (card ~70% of it), B warped into it; card: both rectified to the card alone.")] = Frame.PHOTO,
    size: Annotated[int, typer.Option(help="Output side in pixels (the card's height with --frame card).")] = 512,
    on_flip: Annotated[OnFlip, typer.Option(help="A heart card laid upside down: fix (turn it, keep its table), flag (write as photographed, flag it) or skip (fail the pair).")] = OnFlip.FIX,
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores).")] = 0,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any pair is flagged, not only when one failed.")] = False,
) -> None:
    """Register each B photo onto its A photo at sub-pixel precision and check the pair.

    Finds the card in both photos (sub-pixel outline), lays B on A, turns a heart card that
    lay upside down (told from the pips), refines with ECC, and checks rank and suit colour.
    Exit code 1 when any pair failed (with --strict: or was flagged); every other pair is
    still written. RAW is never modified.
    """
    with user_errors():
        if size < 32:
            raise CardprepError(f"--size must be at least 32 pixels, got {size}")
        with progress_bar() as bar:
            task = bar.add_task("aligning", total=None)
            summary = align_folder(raw, out, AlignConfig(frame=frame, size=size, on_flip=on_flip),
                                   workers=workers or None, on_pair_done=lambda _: bar.advance(task))
    for result in summary.results:
        if result.status != "ok":
            typer.echo(f"{result.pair}: {result.status}: {result.reason}", err=True)
    typer.echo(summary.line())
    if summary.counts["failed"] or (strict and summary.counts["flagged"]):
        raise typer.Exit(1)

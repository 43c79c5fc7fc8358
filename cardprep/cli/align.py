"""``cardprep align``: register every club/heart pair and write the QA report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from cardprep.align import AlignConfig, Frame, OnFlip, Status, align_folder
from cardprep.align.config import Overrides, field_help
from cardprep.cli._common import app, output_path, progress_bar, user_errors

DEFAULT = AlignConfig()
HELP = field_help()
DEFAULT_OUT = Path("aligned")
_OUT_HELP = "Output folder: A/, B/ (aligned PNGs), overlays/, report.csv, report.html. Replaced whole on a rerun."
# typer reads these annotations at runtime: Optional rather than "| None" (noqa: UP045 below)
OutArgument = Annotated[Optional[Path],  # noqa: UP045
                        typer.Argument(help=escape(f"{_OUT_HELP} [default: {DEFAULT_OUT}]"), show_default=False)]
OutOption = Annotated[Optional[Path],  # noqa: UP045
                      typer.Option("--out", "-o", help="The output folder, as OUT.", show_default=False)]


@app.command()
def align(
    raw: Annotated[Path, typer.Argument(help="Folder with A/ (club photos) and B/ (heart photos), paired by stem.")],
    out: OutArgument = None,
    out_option: OutOption = None,
    frame: Annotated[Frame, typer.Option(help=HELP["frame"])] = DEFAULT.frame,
    size: Annotated[int, typer.Option(help=HELP["size"])] = DEFAULT.size,
    on_flip: Annotated[OnFlip, typer.Option(help=HELP["on_flip"])] = DEFAULT.on_flip,
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores).", min=0)] = 0,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any pair is flagged, not only when one failed.")] = False,
    turn: Annotated[list[str], typer.Option(help="Pairs (stems, comma-separated or repeated) whose heart card lay "
                                                 "upside down, whatever the pips say.")] = [],  # noqa: B006
    keep: Annotated[list[str], typer.Option(help="Pairs whose heart card lay the same way as the club card, "
                                                 "whatever the pips say.")] = [],  # noqa: B006
) -> None:
    """Register each B photo onto its A photo at sub-pixel precision and check the pair.

    Finds the card in both photos (sub-pixel outline), lays B on A, turns a heart card that
    lay upside down (told from the pips, compared with A's: any deck), refines with ECC, and
    checks rank and suit colour. Where the pips cannot tell which way B lay, the pair is
    flagged "orientation uncertain" and report.html pictures both ways: settle it with --turn
    or --keep. Exit code 1 when any pair failed (with --strict: or was flagged); every other
    pair is still written. RAW is never modified.
    """
    with user_errors():
        out = output_path(out, out_option, default=DEFAULT_OUT)
        config = AlignConfig(frame=frame, size=size, on_flip=on_flip)
        overrides = Overrides(turn=_stems(turn), keep=_stems(keep))
        with progress_bar() as bar:
            task = bar.add_task("aligning", total=None)
            summary = align_folder(raw, out, config, overrides=overrides, workers=workers or None,
                                   progress=lambda done, total: bar.update(task, completed=done, total=total))
    for result in summary.results:
        if result.status is not Status.OK:
            typer.echo(f"{result.pair}: {result.status.value}: {result.reason}", err=True)
    typer.echo(summary.line())
    counts = summary.counts
    if counts[Status.FAILED] or (strict and counts[Status.FLAGGED]):
        raise typer.Exit(1)


def _stems(values: list[str]) -> frozenset[str]:
    """Stems from repeated and comma-separated option values."""
    return frozenset(stem.strip() for value in values for stem in value.split(",") if stem.strip())

"""``cardprep simulate``: render club/heart photo pairs with exact ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cardprep.cli import app
from cardprep.cli._common import progress_bar, user_errors
from cardprep.errors import CardprepError
from cardprep.sim.photos import SimConfig, simulate_set


def parse_size(text: str) -> tuple[int, int]:
    """'4000x3000' -> (4000, 3000)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise CardprepError(f"--size must look like WIDTHxHEIGHT (e.g. 4000x3000), got {text!r}") from None
    return width, height


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="Folder to write A/, B/ and truth.csv into (new, empty, or an earlier simulator output).")],
    pairs: Annotated[int, typer.Option(help="Number of pairs; ranks cycle A, 2, ..., K.")] = 13,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 0,
    size: Annotated[str, typer.Option(help="Photo size as displayed, WIDTHxHEIGHT (1024x768 up to 12 MP: 4000x3000).")] = "1600x1200",
    upside_down: Annotated[float, typer.Option(help="Fraction of odd cards (A, 3, 5, 7, 9) laid upside down in B.")] = 0.4,
    shake: Annotated[float, typer.Option(help="Fraction of pairs where the camera moved between the shots too.")] = 0.25,
    exif: Annotated[float, typer.Option(help="Fraction of photos stored sideways with an EXIF orientation tag, as phones do.")] = 0.0,
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores).")] = 0,
) -> None:
    """Render card photo pairs, the club card in A and the heart card laid by hand on the same spot in B.

    The truth (OUT/truth.csv) holds for each pair the exact B->A homography, the orientation
    and both cards' corners, in the same convention as `cardprep align`'s report.csv.
    """
    start = time.perf_counter()
    with user_errors():
        config = SimConfig(size=parse_size(size), upside_down=upside_down, shake=shake, exif=exif)
        with progress_bar() as bar:
            task = bar.add_task("rendering", total=pairs)
            summary = simulate_set(out, pairs=pairs, seed=seed, config=config, workers=workers or None,
                                   on_pair_done=lambda _: bar.advance(task))
    typer.echo(f"{summary.pairs} pairs ({summary.upside_down} upside down, {summary.camera_moved} with camera shake, "
               f"{summary.exif_tagged} EXIF-tagged photos) in {time.perf_counter() - start:.1f} s -> {summary.out}")

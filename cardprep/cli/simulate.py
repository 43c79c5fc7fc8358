"""``cardprep simulate``: render club/heart photo pairs with exact ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cardprep.cli._common import app, output_path, progress_bar, user_errors
from cardprep.errors import CardprepError
from cardprep.sim import BuiltInDeck, Deck, Design, SimConfig, TurnedRanks, load_deck, simulate_set


def parse_size(text: str) -> tuple[int, int]:
    """'4000x3000' -> (4000, 3000)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise CardprepError(f"--size must look like WIDTHxHEIGHT (e.g. 4000x3000), got {text!r}") from None
    return width, height


DesignOption = Annotated[Design, typer.Option(
    help="Design of the built-in deck (pip shapes, index, borders, face panels).")]
DeckOption = Annotated[Optional[Path], typer.Option(
    help="Photograph this deck instead: a folder of card faces, one image per card named by rank and suit "
         "(7-clubs.png, 10H.svg, K-hearts.jpg; case-insensitive), PNG/JPEG/WebP, or SVG with resvg-py installed.",
    file_okay=False)]


@app.command()
def simulate(
    out: Annotated[Optional[Path], typer.Argument(help="Folder to write A/, B/ and truth.csv into (new, empty, or an earlier simulator output).", show_default=False)] = None,  # noqa: UP045
    out_option: Annotated[Optional[Path], typer.Option("--out", "-o", help="The output folder, as OUT.", show_default=False)] = None,  # noqa: UP045
    pairs: Annotated[int, typer.Option(help="Number of pairs; ranks cycle A, 2, ..., K.")] = 13,
    seed: Annotated[int, typer.Option(help="Random seed (0 or more): the same seed gives byte-identical files.", min=0)] = 0,
    size: Annotated[str, typer.Option(help="Photo size as displayed, WIDTHxHEIGHT: short side at least 320 px, at most 50 MP (a phone's 12 MP: 4000x3000).")] = "1600x1200",
    upside_down: Annotated[float, typer.Option(help="Fraction of the cards of --turned-ranks laid upside down in B.")] = 0.4,
    turned_ranks: Annotated[TurnedRanks, typer.Option(help="Which cards may lie upside down in B: odd (A, 3, 5, 7, 9, where the turn shows on nearly every deck) or all (one-way 6s and 8s too, and cards that look the same turned).")] = TurnedRanks.ODD,
    shake: Annotated[float, typer.Option(help="Fraction of pairs where the camera moved between the shots too.")] = 0.25,
    exif: Annotated[float, typer.Option(help="Fraction of photos stored sideways with an EXIF orientation tag, as phones do.")] = 0.0,
    design: DesignOption = Design.CLASSIC,
    deck: DeckOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores).", min=0)] = 0,
) -> None:
    """Render card photo pairs, the club card in A and the heart card laid by hand on the same spot in B.

    The truth (OUT/truth.csv) holds for each pair the exact B->A homography, the orientation
    and both cards' corners, in the same convention as `cardprep align`'s report.csv.
    """
    start = time.perf_counter()
    with user_errors():
        out = output_path(out, out_option, default=None)
        config = SimConfig(size=parse_size(size), upside_down=upside_down, turned_ranks=turned_ranks, shake=shake,
                           exif=exif)
        cards = deck_from_options(design, deck)
        with progress_bar() as bar:
            task = bar.add_task("rendering", total=pairs)
            summary = simulate_set(out, pairs=pairs, seed=seed, config=config, deck=cards, workers=workers or None,
                                   on_pair_done=lambda _: bar.advance(task))
    typer.echo(f"{summary.pairs} pairs of the {summary.deck} deck ({summary.upside_down} upside down, "
               f"{summary.camera_moved} with camera shake, {summary.exif_tagged} EXIF-tagged photos) "
               f"in {time.perf_counter() - start:.1f} s -> {summary.out}")


def deck_from_options(design: Design, folder: Path | None) -> Deck:
    """The deck --design and --deck ask for (the two options of simulate and video)."""
    if folder is None:
        return BuiltInDeck(design)
    if design is not Design.CLASSIC:
        raise CardprepError("--design picks a design of the built-in deck; give it or --deck, not both")
    return load_deck(folder)

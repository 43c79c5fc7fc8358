"""Render real, freely licensed deck designs from their npm packages into test fixtures.

    python tools/render_decks.py tests/fixtures/decks

fetches each package below with ``npm pack NAME@VERSION`` into a temporary folder (or reads
the tarballs already in ``--packages DIR``), renders the club and heart cards A-10, J, Q, K of
each design to ``OUT/<design>/<rank>-<suit>.png`` and writes the design's licence text and a
README saying where it came from. Nothing of a package is kept but those renders and its
licence.

Cards are rendered at twice the fixture size by resvg (``pip install resvg-py==0.5.0``, a
tool-only dependency: cardprep reads the PNGs, never the SVGs) and downsampled with Lanczos
to 315 x 440 px, 5 px/mm on a 63 x 88 mm poker card (``--px-per-mm`` for sharper decks to
photograph at 12 MP, not to commit): each design is stretched to that card
(at most 3.6%, Bellot's cards being a little taller). The transparent outside of the rounded
corners is kept as alpha, so the photographed card gets the design's own corner.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import resvg_py
from PIL import Image

from cardprep.sim.faces import svg_aspect

FIXTURE_PX_PER_MM = 5  # 315 x 440 px on 63 x 88 mm: small enough to commit
SUPERSAMPLE = 2
RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
SUITS = ("clubs", "hearts")


@dataclass(frozen=True)
class Design:
    """One deck design: which npm package carries it, under what licence, and where a card is."""

    name: str
    package: str  # NAME@VERSION for npm pack
    licence: str  # SPDX identifier of the card art's licence
    licence_files: tuple[str, ...]  # inside the package, copied beside the fixtures
    credit: str
    card_svg: Callable[[Path, str, str], str]  # (unpacked package, rank, suit) -> SVG text


def _kennard(folder: str) -> Callable[[Path, str, str], str]:
    def card_svg(root: Path, rank: str, suit: str) -> str:
        code = ("T" if rank == "10" else rank) + suit[0].upper()
        return (root / "src" / "images" / folder / f"{code}.svg").read_text(encoding="utf-8")

    return card_svg


def _aguilar(root: Path, rank: str, suit: str) -> str:
    return (root / "cards" / f"{rank}{suit[0].upper()}.svg").read_text(encoding="utf-8")


def _bellot(root: Path, rank: str, suit: str) -> str:
    # One file defines every card as a group at the origin; show the one we want.
    names = {"A": "1", "J": "jack", "Q": "queen", "K": "king"}
    card_id = f"{suit[:-1]}_{names.get(rank, rank)}"
    source = (root / "svg-cards.svg").read_text(encoding="utf-8")
    if not source.rstrip().endswith("</defs></svg>"):
        raise SystemExit("svg-cards.svg: layout changed (expected it to end with </defs></svg>)")
    return source.rstrip()[: -len("</svg>")] + f'<use xlink:href="#{card_id}"/></svg>'


_KENNARD_CREDIT = ("Adrian Kennard's playing cards (https://www.me.uk/cards/), dedicated to the public domain "
                   "under CC0 1.0, as packaged by Ilya Malyanov in @heruka_urgyen/react-playing-cards "
                   "(package code MIT, LICENSE copied here; its README: \"Cards downloaded from "
                   "https://www.me.uk/cards/ and distributed under CC0 license.\")")
DESIGNS = (
    Design("kennard", "@heruka_urgyen/react-playing-cards@0.5.0", "CC0-1.0", ("LICENSE",),
           _KENNARD_CREDIT + ". Two-colour deck, normal faces (src/images/2color).", _kennard("2color")),
    Design("kennard-bigindex", "@heruka_urgyen/react-playing-cards@0.5.0", "CC0-1.0", ("LICENSE",),
           _KENNARD_CREDIT + ". Two-colour deck, big faces: large corner indices, small pips set off "
           "centre, framed face art (src/images/2color-bf).", _kennard("2color-bf")),
    Design("aguilar", "cardsJS@1.1.1", "LGPL-3.0", ("cards/COPYING.LESSER.txt", "cards/COPYING.txt",
                                                      "cards/AUTHORS.txt", "cards/readme.txt"),
           "Vectorized Playing Cards 1.3 by Chris Aguilar, LGPL-3.0, as resized to fit by Richard "
           "Schneider in cardsJS (cards/*.svg).", _aguilar),
    Design("bellot", "svg-cards@4.0.2", "LGPL-2.1", ("LICENSE", "AUTHORS"),
           "SVG-cards by David Bellot (2005) and Huub de Beer (2016, 2017), LGPL-2.1: French-pattern "
           "faces whose art reaches close to the edge (svg-cards.svg, one group per card).", _bellot),
)


def card_size(px_per_mm: int) -> tuple[int, int]:
    """A 63 x 88 mm card's size in pixels at ``px_per_mm``."""
    return 63 * px_per_mm, 88 * px_per_mm


def render(svg: str, size: tuple[int, int]) -> Image.Image:
    """The card at ``size``, RGBA, corners transparent, its edges on the image's edges."""
    width = size[0] * SUPERSAMPLE
    # dpi=96: resvg-py's default of 0 turns sizes given in inches (Kennard's 2.5in) into nothing.
    png = resvg_py.svg_to_bytes(svg_string=svg, width=width, dpi=96)
    big = Image.open(io.BytesIO(png)).convert("RGBA")
    # The card ends mid-pixel where its height is not a whole number of pixels: resample its
    # exact extent, or the bottom edge falls up to a pixel short of the fixture's.
    card_height = width * svg_aspect(svg)
    return big.resize(size, Image.Resampling.LANCZOS, box=(0.0, 0.0, float(width), card_height))


def unpack(package: str, packages: Path | None, work: Path) -> Path:
    """The unpacked npm package: from a tarball in ``packages`` if there, else ``npm pack``."""
    tarball_name = re.sub(r"^@", "", package).replace("/", "-").replace("@", "-") + ".tgz"
    tarball = packages / tarball_name if packages is not None else work / tarball_name
    if not tarball.exists():
        if shutil.which("npm") is None:
            raise SystemExit(f"{tarball_name}: not in --packages and npm is not installed")
        subprocess.run(["npm", "pack", package, "--silent"], cwd=tarball.parent, check=True,
                       stdout=subprocess.DEVNULL)
    target = work / tarball_name.removesuffix(".tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def write_design(design: Design, root: Path, out: Path, px_per_mm: int) -> int:
    """Render every card of ``design`` into ``out``; returns the bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    size = card_size(px_per_mm)
    for rank in RANKS:
        for suit in SUITS:
            # Lossless: a 256-colour palette kept 14 of 42 alpha levels on the rounded edge.
            render(design.card_svg(root, rank, suit), size).save(out / f"{rank}-{suit}.png", optimize=True)
    licences = []
    for name in design.licence_files:  # kept under upstream/, so no name meets our README's
        copy = out / "upstream" / Path(name).name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(root / name, copy)
        licences.append(f"- `upstream/{copy.name}`: `{name}` from the package")
    readme = [
        f"# {design.name}", "",
        f"Card art: {design.credit}", "",
        f"Licence of the art: {design.licence}. Source: the npm package `{design.package}`.", "",
        "Files copied from the package:", *licences, "",
        "The club and heart cards A-10, J, Q, K, rendered by `tools/render_decks.py` (resvg-py 0.5.0,",
        f"{SUPERSAMPLE}x supersampled, Lanczos down to {size[0]} x {size[1]} px "
        f"= {px_per_mm} px/mm on 63 x 88 mm,",
        "RGBA PNG). Only the renders are changed from the original art.", "",
    ]
    (out / "README.md").write_text("\n".join(readme), encoding="utf-8")
    return sum(path.stat().st_size for path in out.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="fixture folder, e.g. tests/fixtures/decks")
    parser.add_argument("--packages", type=Path, help="folder holding the npm pack tarballs already")
    parser.add_argument("--design", action="append", choices=[d.name for d in DESIGNS],
                        help="render only this design (repeatable); all by default")
    parser.add_argument("--px-per-mm", type=int, default=FIXTURE_PX_PER_MM,
                        help=f"resolution of the renders (default {FIXTURE_PX_PER_MM}, the committed fixtures'; "
                             "a 12 MP photo shows a card at about 22)")
    args = parser.parse_args(argv)
    if not 1 <= args.px_per_mm <= 40:
        parser.error(f"--px-per-mm must be between 1 and 40, got {args.px_per_mm}")
    chosen = [d for d in DESIGNS if args.design is None or d.name in args.design]
    with tempfile.TemporaryDirectory() as work:
        for design in chosen:
            root = unpack(design.package, args.packages, Path(work))
            size = write_design(design, root, args.out / design.name, args.px_per_mm)
            print(f"{design.name}: {len(RANKS) * len(SUITS)} cards, {size / 1e6:.2f} MB ({design.licence})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

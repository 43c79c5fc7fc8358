"""Finding A/B photo pairs by stem (Contract 1): ``ROOT/A/<stem>.<ext>`` with ``ROOT/B/<stem>.<ext>``.

The same layout is Contract 2's output, so ``cardprep augment`` reads aligned pairs with it too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cardprep.errors import CardprepError
from cardprep.common.images import IMAGE_EXTENSIONS, is_image_path


@dataclass(frozen=True)
class Pair:
    stem: str
    a: Path
    b: Path


@dataclass(frozen=True)
class Orphan:
    """A stem that cannot be paired; reported and skipped, never fatal."""

    stem: str
    reason: str


@dataclass(frozen=True)
class PairListing:
    pairs: tuple[Pair, ...]
    orphans: tuple[Orphan, ...]


def find_pairs(root: str | Path) -> PairListing:
    """Pair ``root/A`` and ``root/B`` images by stem, sorted by stem.

    Raises CardprepError when the layout itself is wrong (no folder, no A/ or B/, no images);
    a stem on one side only, or one stem with two files on a side, becomes an Orphan.
    """
    root = Path(root)
    if not root.is_dir():
        raise CardprepError(f"{root}: no such folder")
    sides = {}
    for side in ("A", "B"):
        folder = root / side
        if not folder.is_dir():
            raise CardprepError(f"{folder}: missing; expected {root}/A and {root}/B holding the photo pairs")
        sides[side] = _images_by_stem(folder)
    if not sides["A"] and not sides["B"]:
        extensions = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))
        raise CardprepError(f"{root}: A/ and B/ hold no images ({extensions})")

    pairs: list[Pair] = []
    orphans: list[Orphan] = []
    for stem in sorted(sides["A"].keys() | sides["B"].keys()):
        a_files, b_files = sides["A"].get(stem, []), sides["B"].get(stem, [])
        if not a_files or not b_files:
            have, lack = ("A", "B") if a_files else ("B", "A")
            orphans.append(Orphan(stem, f"only in {have}/, no partner in {lack}/"))
        elif len(a_files) > 1 or len(b_files) > 1:
            names = ", ".join(p.name for p in (*a_files, *b_files))
            orphans.append(Orphan(stem, f"more than one file for this stem ({names})"))
        else:
            pairs.append(Pair(stem, a_files[0], b_files[0]))
    return PairListing(tuple(pairs), tuple(orphans))


def _images_by_stem(folder: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(folder.iterdir()):
        if path.is_file() and is_image_path(path) and not path.name.startswith("."):
            found[path.stem].append(path)
    return dict(found)

"""Finding A/B photo pairs by stem (Contract 1): ``ROOT/A/<stem>.<ext>`` with ``ROOT/B/<stem>.<ext>``.

The same layout is Contract 2's output, so ``cardprep augment`` reads aligned pairs with it too.
Nothing a user would take for a photo is passed over in silence: a broken link, a folder or a
file of an image format cardprep does not read (GIF, HEIC...) is named, with its side, in the
reason of its stem's Orphan. Other files (notes, hidden files) are not photos and are ignored.
"""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cardprep.common.images import IMAGE_EXTENSIONS, is_image_path
from cardprep.errors import CardprepError

SIDES = ("A", "B")
_READ = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))


@dataclass(frozen=True)
class Pair:
    stem: str
    a: Path
    b: Path


@dataclass(frozen=True)
class Orphan:
    """A stem that cannot be paired; reported and skipped, never fatal. ``reason`` names the
    files concerned with their side (``A/x.gif``)."""

    stem: str
    reason: str


@dataclass(frozen=True)
class PairListing:
    pairs: tuple[Pair, ...]
    orphans: tuple[Orphan, ...]


@dataclass
class _Side:
    """One side's entries for one stem: the usable photos and what was passed over, and why."""

    photos: list[Path]
    unusable: list[str]


def find_pairs(root: str | Path) -> PairListing:
    """Pair ``root/A`` and ``root/B`` images by stem, sorted by stem.

    Raises CardprepError when the layout itself is wrong (no folder, no A/ or B/, no images);
    a stem that lacks a usable photo on a side, or has more than one, becomes an Orphan.
    """
    root = Path(root)
    if not root.is_dir():
        raise CardprepError(f"{root}: no such folder")
    sides = {}
    for side in SIDES:
        folder = root / side
        if not folder.is_dir():
            raise CardprepError(f"{folder}: missing; expected {root}/A and {root}/B holding the photo pairs")
        sides[side] = _entries_by_stem(folder)
    if not sides["A"] and not sides["B"]:
        raise CardprepError(f"{root}: A/ and B/ hold no images ({_READ})")

    pairs: list[Pair] = []
    orphans: list[Orphan] = []
    for stem in sorted(sides["A"].keys() | sides["B"].keys()):
        entries = {side: sides[side].get(stem, _Side([], [])) for side in SIDES}
        problems = _problems(stem, entries)
        if problems:
            orphans.append(Orphan(stem, "; ".join(problems)))
        else:
            pairs.append(Pair(stem, entries["A"].photos[0], entries["B"].photos[0]))
    return PairListing(tuple(pairs), tuple(orphans))


def _problems(stem: str, entries: dict[str, _Side]) -> list[str]:
    """Why ``stem`` is not one photo on each side, each naming its side; empty when it is."""
    problems = []
    for side, other in (SIDES, SIDES[::-1]):
        found, partner = entries[side], entries[other]
        problems += found.unusable
        if len(found.photos) > 1:
            names = ", ".join(f"{side}/{p.name}" for p in found.photos)
            problems.append(f"more than one photo for this stem in {side}/ ({names})")
        elif not found.photos and not found.unusable and partner.photos:
            problems.append(f"only in {other}/ ({other}/{partner.photos[0].name}), no partner in {side}/")
    return problems


def _entries_by_stem(folder: Path) -> dict[str, _Side]:
    found: dict[str, _Side] = defaultdict(lambda: _Side([], []))
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        why = _unusable(path)
        if why is None:
            found[path.stem].photos.append(path)
        elif why:
            found[path.stem].unusable.append(f"{folder.name}/{path.name} {why}")
    return dict(found)


def _unusable(path: Path) -> str | None:
    """None for a photo cardprep can read; why not for what a user would take for one;
    "" for anything else (not a photo at all, ignored)."""
    if is_image_path(path):
        if path.is_file():
            return None
        if path.is_symlink() and not path.exists():
            return "is a broken link (its target does not exist)"
        return "is a folder, not a photo" if path.is_dir() else "is not a regular file"
    kind = mimetypes.guess_type(path.name)[0] or ""
    if kind.startswith("image/"):
        return f"is skipped: {path.suffix or 'this'} is not an image format cardprep reads ({_READ})"
    return ""

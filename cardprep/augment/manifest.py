"""The dataset's manifest (Contract 3): one row per image, everything that re-makes it.

The columns are derived from the dataclasses (``ManifestRow``, whose ``params`` are an
``AugmentParams`` with two ``Jitter`` and a ``Camera`` with two ``Band``), flattened in field
order, so a field added to one of them is a column without a list to keep in step. Floats are written with ``repr`` so
they read back bit for bit, and ``remake`` makes an image again byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_type_hints

from cardprep.augment.functional import PreparedPair, prepare_pair, render, side_by_side
from cardprep.augment.params import AugmentParams, Border, Split, SplitPolicy
from cardprep.common.images import read_image
from cardprep.errors import CardprepError
from cardprep.pairs import Pair, find_pairs

MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class ManifestRow:
    """One dataset image: where it is, what it came from, and everything that re-makes it."""

    path: str  # relative to the manifest's folder, e.g. "train/0007_7.jpg"
    split: Split
    source: str  # the pair's stem
    seed: int  # draw_params(seed, config) gave params
    params: AugmentParams
    size: int
    border: Border
    split_policy: SplitPolicy


# How a nested dataclass field is flattened: its fields' columns get this prefix.
_PREFIX = {"params": "", "jitter_a": "a_", "jitter_b": "b_", "camera": "", "shadow": "shadow_", "glare": "glare_"}


def _columns(kind: type, prefix: str = "") -> tuple[tuple[str, type], ...]:
    """(column, type) for every leaf field of the dataclass ``kind``, in field order."""
    hints = get_type_hints(kind)
    columns: list[tuple[str, type]] = []
    for f in fields(kind):
        nested = hints[f.name]
        columns += _columns(nested, prefix + _PREFIX[f.name]) if is_dataclass(nested) else [(prefix + f.name, nested)]
    return tuple(columns)


MANIFEST_COLUMNS = tuple(name for name, _ in _columns(ManifestRow))


def write_manifest(path: Path, rows: Sequence[ManifestRow]) -> None:
    """Write Contract 3's manifest (UTF-8 without BOM, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows([_format(value) for value in _leaves(row)] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _leaves(value: Any) -> list[Any]:
    """The leaf values of a dataclass in ``MANIFEST_COLUMNS`` order."""
    if not is_dataclass(value):
        return [value]
    return [leaf for f in fields(value) for leaf in _leaves(getattr(value, f.name))]


def _format(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def read_manifest(path: str | Path) -> tuple[ManifestRow, ...]:
    """The rows of a manifest written by ``build_dataset``; CardprepError names the line at fault.

    Read as ``utf-8-sig``: a manifest saved by a spreadsheet as "CSV UTF-8" starts with a
    byte-order mark, which would otherwise stick to the first column's name.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise CardprepError(f"{path}: not a cardprep manifest (missing columns: {', '.join(missing)})")
            return tuple(_row(path, line, cells) for line, cells in enumerate(reader, start=2))
    except OSError as error:
        raise CardprepError(f"{path}: cannot be read ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise CardprepError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _row(path: Path, line: int, cells: dict[str, str]) -> ManifestRow:
    try:
        return _parse(ManifestRow, cells, "")
    except (ValueError, TypeError) as error:
        raise CardprepError(f"{path}, line {line}: {error}") from None


def _parse(kind: type, cells: dict[str, str], prefix: str) -> Any:
    """The dataclass ``kind`` from its flattened cells (the inverse of ``_leaves``)."""
    hints = get_type_hints(kind)
    values = {}
    for f in fields(kind):
        nested, text = hints[f.name], cells.get(prefix + f.name)
        if is_dataclass(nested):
            values[f.name] = _parse(nested, cells, prefix + _PREFIX[f.name])
        elif text is None:  # a short row
            raise ValueError(f"no {prefix + f.name} value")
        elif nested is bool:
            values[f.name] = _parse_bool(text)
        else:
            values[f.name] = nested(text)  # an Enum's own message names the bad value
    return kind(**values)


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return text == "true"


def load_pair(pair: Pair, *, size: int) -> PreparedPair:
    """Read an aligned pair and prepare it for ``render`` at ``size``; errors name the files."""
    a, b = read_image(pair.a), read_image(pair.b)
    try:
        return prepare_pair(a, b, size=size)
    except CardprepError as error:
        raise CardprepError(f"{pair.a} and {pair.b}: {error} (is the folder cardprep align's output?)") from None


def remake(aligned: str | Path, row: ManifestRow) -> bytes:
    """The file ``row`` describes, made again from the aligned pair: byte-identical to the original."""
    pairs = {pair.stem: pair for pair in find_pairs(aligned).pairs}
    if row.source not in pairs:
        raise CardprepError(f"{aligned}: no pair named {row.source!r}, which {row.path} was made from")
    prepared = load_pair(pairs[row.source], size=row.size)
    return side_by_side(*render(prepared, row.params, size=row.size, border=row.border))

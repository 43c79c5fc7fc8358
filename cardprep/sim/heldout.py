"""Held-out test pairs from a simulator output, aligned by its exact truth.

A model's validation images are augmentations of its own training photos, which says little
about new footage (measured: pip IoU 0.85 on validation, 0.4 on new photos of the same
cards). New photos of the same cards, on other tables, in other light, from other camera
poses, are what count. The simulator makes them (``simulate_set`` with another seed); this
module cuts each pair into the model's frame using the truth, not cardprep align, so the
score measures the model alone, and writes them as the ``test`` split of a dataset folder
(Contract 3 layout, lossless PNG) that ``cardtrain eval DATA --split test`` reads.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from cardprep import geometry
from cardprep.card_frame import card_view
from cardprep.common.atomic import make_output_dir
from cardprep.common.images import read_image, write_image
from cardprep.errors import CardprepError

TEST_SPLIT = "test"


def write_truth_pairs(simulated: str | Path, out: str | Path, *, size: int = 256) -> int:
    """Every pair of a simulator output as a card-frame A|B image in ``OUT/test/``; returns the count.

    B's card is cut by its own true corners, which follow the card's design, so a heart card
    that lay upside down comes out turned the right way, as align's orientation fix does.
    """
    simulated, out = Path(simulated), Path(out)
    rows = _truth_rows(simulated / "truth.csv")
    folder = make_output_dir(out / TEST_SPLIT)
    for row in rows:
        corners_a = geometry.parse_floats(row["corners_a"], (4, 2))
        corners_b = geometry.parse_floats(row["corners_b"], (4, 2))
        view_a, _ = card_view(read_image(_photo(simulated, "A", row["pair"])), corners_a, size)
        view_b, _ = card_view(read_image(_photo(simulated, "B", row["pair"])), corners_b, size)
        write_image(folder / f"{row['pair']}.png", np.concatenate([view_a, view_b], axis=1))
    return len(rows)


def _truth_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except OSError as error:
        raise CardprepError(f"{path}: cannot read the simulator's truth ({error.strerror})") from error
    if not rows or not {"pair", "corners_a", "corners_b"} <= set(rows[0]):
        raise CardprepError(f"{path}: not a simulator truth.csv (needs pair, corners_a, corners_b)")
    return rows


def _photo(simulated: Path, side: str, stem: str) -> Path:
    matches = sorted((simulated / side).glob(f"{stem}.*"))
    if not matches:
        raise CardprepError(f"{simulated / side}: no photo for pair {stem}")
    return matches[0]

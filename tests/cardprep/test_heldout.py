"""Held-out test pairs cut by the simulator's truth: A and B halves show the same card, in place."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep.common.images import read_image
from cardprep.sim import SimConfig, simulate_set
from cardprep.sim.heldout import write_truth_pairs

SIZE = 128


@pytest.fixture(scope="module")
def heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("heldout")
    simulate_set(root / "sim", pairs=3, seed=7, config=SimConfig(size=(1024, 768), upside_down=1.0), workers=1)
    assert write_truth_pairs(root / "sim", root / "data", size=SIZE) == 3
    return root / "data"


def halves(path: Path) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(path)
    assert image.shape == (SIZE, 2 * SIZE, 3)
    return image[:, :SIZE], image[:, SIZE:]


def edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def test_each_pair_is_written_to_the_test_split(heldout: Path) -> None:
    stems = [row.split(",")[0] for row in (heldout.parent / "sim" / "truth.csv").read_text().splitlines()[1:]]
    assert sorted(p.stem for p in (heldout / "test").iterdir()) == sorted(stems)


def test_the_card_outline_lies_on_the_same_pixels_in_both_halves(heldout: Path) -> None:
    """The strongest edges of the card frame are the card's outline: they coincide in A and B."""
    for path in sorted((heldout / "test").glob("*.png")):
        a, b = halves(path)
        band = np.zeros((SIZE, SIZE), bool)
        band[3:12, :] = band[-12:-3, :] = band[:, 3:12] = band[:, -12:-3] = True
        ea, eb = edges(a)[band], edges(b)[band]
        assert np.corrcoef(ea, eb)[0, 1] > 0.8, path.name


def centre_pip_upright(mask: np.ndarray) -> bool:
    """Whether the pip at the card's centre has its mass above its middle (an upright club or
    heart: lobes up, stem or point down)."""
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    pips = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] > 20]
    centre = min(pips, key=lambda i: np.hypot(*(centroids[i] - SIZE / 2)))
    middle = stats[centre, cv2.CC_STAT_TOP] + stats[centre, cv2.CC_STAT_HEIGHT] / 2
    return bool(centroids[centre][1] < middle)


def test_an_upside_down_heart_card_comes_out_the_right_way_round(heldout: Path) -> None:
    """The 3 lay upside down in B (upside_down=1.0 turns every odd rank). Its layout is the
    same turned but for its centre pip, which must stand upright as A's does."""
    a, b = halves(next((heldout / "test").glob("*-3.png")))
    assert centre_pip_upright(a.min(axis=2) < 90)
    assert centre_pip_upright((b[..., 2].astype(int) - b[..., :2].max(axis=2)) > 60)

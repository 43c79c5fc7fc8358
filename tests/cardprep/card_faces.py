"""Card faces for the orientation and face-reading tests: the built-in deck and the real designs
under tests/fixtures/decks, on a table colour, and as a rectified photo would show them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from cardprep import geometry
from cardprep.cards import PX_PER_MM
from cardprep.sim import BuiltInDeck, Deck, Design, Suit, load_deck
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

DECKS = Path(__file__).resolve().parents[1] / "fixtures" / "decks"
BUILT_IN = "built-in"
TABLE = (70, 110, 90)


@lru_cache(maxsize=None)
def deck(design: str) -> Deck:
    """A built-in design by name ('built-in' is the classic one) or a fixture folder's deck."""
    if design == BUILT_IN:
        return BuiltInDeck()
    if design in {d.value for d in Design}:
        return BuiltInDeck(Design(design))
    return load_deck(DECKS / design)


def face(design: str, rank: str, suit: str) -> np.ndarray:
    """The card of ``design`` rectified (315 x 440 BGR), the table showing past its round corners."""
    card = deck(design).card(rank, Suit(suit), px_per_mm=PX_PER_MM)
    size = (round(CARD_WIDTH_MM * PX_PER_MM), round(CARD_HEIGHT_MM * PX_PER_MM))
    image = cv2.resize(card.image, size, interpolation=cv2.INTER_AREA)
    a = cv2.resize(card.alpha, size, interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    return (image * a + np.array(TABLE, np.float32) * (1 - a) + 0.5).astype(np.uint8)


def photographed(card: np.ndarray, seed: int, *, turned: bool = False) -> np.ndarray:
    """``card`` (turned by a half turn if asked) as a rectified photo: corners off by about a
    pixel, blurred, a light gradient, noise and JPEG, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    height, width = card.shape[:2]
    image = card[::-1, ::-1] if turned else card
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64) - 0.5
    h = geometry.quad_homography(corners, corners + rng.uniform(-1.0, 1.0, (4, 2)))
    image = cv2.warpPerspective(image, h, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.8)
    light = np.linspace(1.0, 0.75, height, dtype=np.float32)[:, None, None]
    image = image * light + rng.normal(0, 3, image.shape)
    _, data = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 80])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def pip_box(x_mm: float, y_mm: float, size_mm: float) -> tuple[slice, slice]:
    """Rows and columns of a square of ``size_mm`` centred on a pip at (x_mm, y_mm)."""
    half = size_mm / 2
    rows = slice(round((y_mm - half) * PX_PER_MM), round((y_mm + half) * PX_PER_MM))
    cols = slice(round((x_mm - half) * PX_PER_MM), round((x_mm + half) * PX_PER_MM))
    return rows, cols

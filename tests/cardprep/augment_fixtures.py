"""Small aligned pairs with known geometry for the augment tests (Contract 2 layout).

Each pair is a white rounded-rectangle card, its long side 70% of the square crop, on a
textured table; A carries black pips, B red pips at the same spots. The card's outline is
exactly the same in A and B, so any geometric disagreement after augmentation is the
augmenter's.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cardprep.align.config import AlignConfig, Frame, write_record

CARD_ASPECT = 63 / 88  # poker card width / height
_SUBPIXEL_BITS = 4  # cv2 polygon coordinates in 1/16 px: the outline is drawn at sub-pixel precision


def card_outline(size: int, *, corner_points: int = 8) -> np.ndarray:
    """(N, 2) outline of the card centred in a size x size crop, pixel centres at integers."""
    height = 0.7 * size
    width = CARD_ASPECT * height
    radius = 0.06 * height
    centre = (size - 1) / 2
    half_w, half_h = width / 2 - radius, height / 2 - radius
    points = []
    for (sx, sy), start in (((1, -1), -90), ((1, 1), 0), ((-1, 1), 90), ((-1, -1), 180)):
        for angle in np.radians(np.linspace(start, start + 90, corner_points)):
            points.append((centre + sx * half_w + radius * np.cos(angle), centre + sy * half_h + radius * np.sin(angle)))
    return np.array(points)


def card_centre(size: int) -> np.ndarray:
    return np.array([(size - 1) / 2, (size - 1) / 2])


def make_pair(size: int, seed: int, *, pips: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """An aligned (A, B) pair of size x size BGR images: same table and card, black vs red pips."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0.0, 1.0, (size, size)).astype(np.float32), (0, 0), size / 64)
    noise = noise / (np.abs(noise).max() + 1e-6)
    base = np.array(rng.uniform((40, 70, 40), (90, 130, 110)), np.float32)  # a felt or wood, never near white
    table = np.clip(base + 35.0 * noise[..., None], 0, 255).astype(np.uint8)
    card = table.copy()
    _fill(card, card_outline(size), (240, 242, 244))
    a, b = card.copy(), card.copy()
    for k in range(pips):
        y = (size - 1) / 2 + (k - (pips - 1) / 2) * 0.18 * size
        spot = _circle(((size - 1) / 2, y), 0.05 * size)
        _fill(a, spot, (25, 25, 25))
        _fill(b, spot, (40, 30, 200))
    return a, b


def write_aligned(root: Path, stems: list[str], *, size: int = 512, frame: Frame | None = Frame.PHOTO) -> Path:
    """Write ROOT/A/<stem>.png, ROOT/B/<stem>.png for each stem, a report.csv and the align.json
    recording ``frame`` (none when None, as an older align wrote), as align does; returns ROOT."""
    for side in ("A", "B"):
        (root / side).mkdir(parents=True, exist_ok=True)
    (root / "report.csv").write_text("pair,status\n" + "".join(f"{stem},ok\n" for stem in stems))
    if frame is not None:
        write_record(root, AlignConfig(frame=frame, size=size))
    for index, stem in enumerate(stems):
        a, b = make_pair(size, seed=index, pips=1 + index % 5)
        cv2.imwrite(str(root / "A" / f"{stem}.png"), a)
        cv2.imwrite(str(root / "B" / f"{stem}.png"), b)
    return root


def card_mask(half: np.ndarray) -> np.ndarray:
    """uint8 mask of the card (the bright, grey-white region, pips filled in) in an output half."""
    hsv = cv2.cvtColor(half, cv2.COLOR_BGR2HSV)
    white = ((hsv[..., 2] > 170) & (hsv[..., 1] < 60)).astype(np.uint8)
    contours, _ = cv2.findContours(white, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    mask = np.zeros_like(white)
    cv2.drawContours(mask, [max(contours, key=cv2.contourArea)], -1, 1, thickness=cv2.FILLED)
    return mask


def _fill(image: np.ndarray, points: np.ndarray, colour: tuple[int, int, int]) -> None:
    fixed = np.round(points * (1 << _SUBPIXEL_BITS)).astype(np.int32)
    cv2.fillPoly(image, [fixed], colour, lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)


def _circle(centre: tuple[float, float], radius: float, n: int = 48) -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)]

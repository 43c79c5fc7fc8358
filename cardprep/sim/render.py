"""Rendering a simulated photo: the table, the cards with their shadows, light, optics and sensor.

Shared by the photo pairs and the video, so that a clip's frame is made exactly as a photo is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.sim.camera import local_scale
from cardprep.sim.deck import CardImage
from cardprep.sim.surfaces import SurfaceKind, fractal_noise, make_surface


@dataclass(frozen=True)
class TableSurface:
    """A surface texture in table coordinates, big enough for every view of the pair."""

    image: np.ndarray  # float32 BGR
    tex_from_table: np.ndarray

    @classmethod
    def for_views(cls, kind: SurfaceKind, photo_from_tables: tuple[np.ndarray, ...], size: tuple[int, int],
                  rng: np.random.Generator) -> TableSurface:
        width, height = size
        frame = np.array([[-1, -1], [width, -1], [width, height], [-1, height]], np.float64)
        seen = np.vstack([geometry.apply_homography(np.linalg.inv(h), frame) for h in photo_from_tables])
        (x0, y0), (x1, y1) = seen.min(axis=0) - 5.0, seen.max(axis=0) + 5.0
        # Sample the surface a little finer than the sharpest view of it (tilt makes the near
        # side of the frame ~25% sharper than the centre), within a memory cap.
        centre = np.array([[(width - 1) / 2, (height - 1) / 2]])
        sharpest = max(local_scale(h, geometry.apply_homography(np.linalg.inv(h), centre)[0]) for h in photo_from_tables)
        px_per_mm = min(1.3 * sharpest, np.sqrt(60e6 / ((x1 - x0) * (y1 - y0))))
        shape = (int(np.ceil((y1 - y0) * px_per_mm)), int(np.ceil((x1 - x0) * px_per_mm)))
        texture = make_surface(kind, shape, rng, px_per_mm=px_per_mm)
        return cls(texture, geometry.scaling(px_per_mm) @ geometry.translation(-x0, -y0))


def render_photo(surface: TableSurface, photo_from_table: np.ndarray, cards: list[tuple[CardImage, np.ndarray]],
                  size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Table, cards with their drop shadows, lighting, optics and sensor: a uint8 BGR photo."""
    width, height = size
    photo = cv2.warpPerspective(surface.image, photo_from_table @ np.linalg.inv(surface.tex_from_table),
                                (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    for card, photo_from_card in cards:
        photo_from_tex = photo_from_card @ np.linalg.inv(card.tex_from_mm())
        coverage = cv2.warpPerspective(card.alpha, photo_from_tex, (width, height), flags=cv2.INTER_LINEAR)
        coverage = coverage.astype(np.float32) * (1.0 / 255.0)
        _darken(photo, _drop_shadow(coverage, rng))
        texture = cv2.warpPerspective(card.image, photo_from_tex, (width, height), flags=cv2.INTER_LINEAR)
        cv2.blendLinear(texture.astype(np.float32), photo, coverage, 1.0 - coverage, dst=photo)

    light = _illumination((height, width), rng)
    gains = rng.uniform(0.82, 1.12) * rng.uniform(0.92, 1.08, size=3)  # exposure x white balance
    photo *= light[..., None]
    photo *= gains.astype(np.float32)
    scale = max(width, height) / 1600.0
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.45, 0.9) * max(scale, 1.0))
    photo += rng.standard_normal(photo.shape, dtype=np.float32) * np.float32(rng.uniform(1.0, 3.5))
    return np.clip(photo + 0.5, 0, 255).astype(np.uint8)


def _darken(photo: np.ndarray, shade: np.ndarray) -> None:
    photo *= (1.0 - shade)[..., None]


def _drop_shadow(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The soft shadow a card lying on the table casts next to its edges (computed at 1/4 size)."""
    height, width = coverage.shape
    small = cv2.resize(coverage, (max(width // 4, 1), max(height // 4, 1)), interpolation=cv2.INTER_AREA)
    reach = max(width, height) / 4 * rng.uniform(0.002, 0.006)
    shift = np.float64([[1, 0, rng.uniform(-1, 1) * reach], [0, 1, rng.uniform(0.3, 1) * reach]])
    small = cv2.warpAffine(small, shift, small.shape[::-1])
    small = cv2.GaussianBlur(small, (0, 0), reach + 1.0)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR) * np.float32(rng.uniform(0.2, 0.45))


def _illumination(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Vignette, uneven light and sometimes a soft shadow (a hand, a phone): a low-frequency gain."""
    height, width = shape
    small_shape = (max(height // 16, 8), max(width // 16, 8))
    yy, xx = np.mgrid[0 : small_shape[0], 0 : small_shape[1]].astype(np.float32)
    cy, cx = (small_shape[0] - 1) / 2, (small_shape[1] - 1) / 2
    r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (cx**2 + cy**2)
    gain = 1.0 - rng.uniform(0.08, 0.3) * r2
    gain *= 1.0 + 0.05 * fractal_noise(small_shape, rng, cell_px=max(small_shape) / 2, octaves=2)
    if rng.random() < 0.5:
        centre = rng.uniform((0, 0), small_shape[::-1])
        axes = rng.uniform(0.2, 0.5, size=2) * max(small_shape)
        blob = np.zeros(small_shape, np.float32)
        cv2.ellipse(blob, ((float(centre[0]), float(centre[1])), (float(axes[0]), float(axes[1])), float(rng.uniform(0, 180))), 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), 0.15 * max(small_shape))
        gain *= 1.0 - rng.uniform(0.12, 0.3) * blob
    return cv2.resize(gain.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)



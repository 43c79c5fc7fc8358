"""Procedural table surfaces for the photo simulator: felt, wood, stone, fabric.

The set is chosen to be hard for card finding the way real tables are: fine texture
everywhere, and light wood that is nearly as bright as the card (a plain Otsu threshold
bleeds into it); only the card's low saturation separates it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import cv2
import numpy as np


class SurfaceKind(str, Enum):
    FELT = "felt"
    WOOD = "wood"
    LIGHT_WOOD = "light-wood"
    STONE = "stone"
    FABRIC = "fabric"


def make_surface(kind: SurfaceKind, shape: tuple[int, int], rng: np.random.Generator, *, px_per_mm: float) -> np.ndarray:
    """A (H, W, 3) float32 BGR texture in [0, 255], its features sized in millimetres."""
    return _MAKERS[kind](shape, rng, px_per_mm)


def fractal_noise(shape: tuple[int, int], rng: np.random.Generator, *, cell_px: float, octaves: int,
                  persistence: float = 0.5, stretch: float = 1.0) -> np.ndarray:
    """Zero-mean, unit-variance value noise; the coarsest cells ``cell_px`` wide.

    ``stretch`` > 1 makes features that many times longer along x than along y (wood fibres).
    """
    height, width = shape
    total = np.zeros(shape, np.float32)
    amplitude = 1.0
    for octave in range(octaves):
        cell = max(cell_px / 2**octave, 1.0)
        grid_h = int(np.ceil(height / cell)) + 2
        grid_w = int(np.ceil(width / (cell * stretch))) + 2
        grid = rng.standard_normal((grid_h, grid_w)).astype(np.float32)
        total += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        amplitude *= persistence
    total -= total.mean()
    return total / max(float(total.std()), 1e-6)


def _colour_ramp(t: np.ndarray, dark: tuple[float, float, float], light: tuple[float, float, float]) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)[..., None]
    return (np.asarray(dark, np.float32) * (1.0 - t) + np.asarray(light, np.float32) * t).astype(np.float32)


def _felt(shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    base = [(40, 100, 38), (112, 72, 30), (40, 36, 110)][rng.integers(3)]
    blotches = fractal_noise(shape, rng, cell_px=60 * px_per_mm, octaves=3)
    fibres = fractal_noise(shape, rng, cell_px=0.6 * px_per_mm, octaves=2)
    shade = 1.0 + 0.06 * blotches + 0.07 * fibres
    return np.asarray(base, np.float32) * shade[..., None]


def _wood(shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float, *, light: bool = False) -> np.ndarray:
    height, width = shape
    turbulence = fractal_noise(shape, rng, cell_px=40 * px_per_mm, octaves=3, stretch=4.0)
    rows = np.arange(height, dtype=np.float32)[:, None] / (px_per_mm * rng.uniform(5.0, 9.0))
    rings = 0.5 + 0.5 * np.sin(2 * np.pi * (rows + 0.8 * turbulence))
    fibres = fractal_noise(shape, rng, cell_px=1.2 * px_per_mm, octaves=2, stretch=12.0)
    t = 0.25 + 0.5 * rings ** 3 + 0.12 * fibres
    if light:
        return _colour_ramp(t, (118, 165, 205), (150, 198, 232))
    return _colour_ramp(t, (28, 55, 95), (70, 125, 175))


def _light_wood(shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    return _wood(shape, rng, px_per_mm, light=True)


def _stone(shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    grey = rng.uniform(95, 140)
    mottling = fractal_noise(shape, rng, cell_px=30 * px_per_mm, octaves=5, persistence=0.6)
    grit = rng.standard_normal(shape).astype(np.float32)
    level = grey * (1.0 + 0.12 * mottling + 0.05 * grit)
    tint = np.asarray((0.96, 1.0, 1.04), np.float32)  # slightly warm
    return level[..., None] * tint


def _fabric(shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    height, width = shape
    period = rng.uniform(0.8, 1.4) * px_per_mm
    y = np.arange(height, dtype=np.float32)[:, None] * (2 * np.pi / period)
    x = np.arange(width, dtype=np.float32)[None, :] * (2 * np.pi / period)
    weave = np.sin(x) * np.sin(y)
    wear = fractal_noise(shape, rng, cell_px=50 * px_per_mm, octaves=3)
    shade = 1.0 + 0.12 * weave + 0.08 * wear
    return np.asarray((120, 80, 45), np.float32) * shade[..., None]


_MAKERS: dict[SurfaceKind, Callable[[tuple[int, int], np.random.Generator, float], np.ndarray]] = {
    SurfaceKind.FELT: _felt,
    SurfaceKind.WOOD: _wood,
    SurfaceKind.LIGHT_WOOD: _light_wood,
    SurfaceKind.STONE: _stone,
    SurfaceKind.FABRIC: _fabric,
}

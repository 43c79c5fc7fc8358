"""Plane geometry on homographies and quadrilaterals.

Convention: points are (x, y) float arrays of shape (N, 2) in pixels, OpenCV's pixel centres
at integer coordinates. A 3x3 homography named ``a_from_b`` maps points of frame B to frame A,
so ``cv2.warpPerspective(image_b, a_from_b, size_a)`` draws B in A's frame. A card quad is
(4, 2), corners in the order top-left, top-right, bottom-right, bottom-left of the card's
own frame.
"""

from __future__ import annotations

import numpy as np


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through the 3x3 homography ``h``."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    mapped = np.c_[points, np.ones(len(points))] @ np.asarray(h, np.float64).T
    return mapped[:, :2] / mapped[:, 2:3]


def normalized(h: np.ndarray) -> np.ndarray:
    """``h`` scaled so its bottom-right entry is 1 (the form report files use)."""
    h = np.asarray(h, np.float64)
    return h / h[2, 2]


def translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def scaling(sx: float, sy: float | None = None) -> np.ndarray:
    return np.diag([sx, sx if sy is None else sy, 1.0])


def rotation(degrees: float, centre: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Rotation by ``degrees`` (clockwise on screen, as y points down) about ``centre``."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    r = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    cx, cy = centre
    return translation(cx, cy) @ r @ translation(-cx, -cy)


def quad_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The exact homography taking the 4 points ``src`` to ``dst`` (direct linear transform)."""
    rows = []
    for (x, y), (u, v) in zip(np.asarray(src, np.float64), np.asarray(dst, np.float64)):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, -u])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    return normalized(vt[-1].reshape(3, 3))


def half_turn(quad: np.ndarray) -> np.ndarray:
    """The projective half turn of a quad onto itself: corner i goes to corner i + 2.

    For a card seen in perspective this is the card turned by 180 degrees in its own plane,
    which is how an upside-down card is put right while its outline stays where it is.
    """
    quad = np.asarray(quad, np.float64)
    return quad_homography(quad, np.roll(quad, 2, axis=0))


def long_side(quad: np.ndarray) -> float:
    """The longest side of a quadrilateral, in its own units."""
    quad = np.asarray(quad, np.float64)
    return float(np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1).max())


def resize_map(shape: tuple[int, ...], size: tuple[int, int]) -> np.ndarray:
    """The map from pixels of an image of ``shape`` (H, W, ...) to pixels of it resized by
    ``cv2.resize`` to ``size`` (W, H): the scales really applied after rounding, pixel centres
    at integers."""
    sx, sy = size[0] / shape[1], size[1] / shape[0]
    return scaling(sx, sy) @ translation(0.5 - 0.5 / sx, 0.5 - 0.5 / sy)


def corner_errors(a_from_b: np.ndarray, corners_b: np.ndarray, corners_a: np.ndarray) -> np.ndarray:
    """Distance in A pixels between B's corners mapped by ``a_from_b`` and A's true corners."""
    return np.linalg.norm(apply_homography(a_from_b, corners_b) - np.asarray(corners_a), axis=1)


def format_floats(values: np.ndarray) -> str:
    """Space-separated floats, row-major, enough digits to round-trip a homography."""
    return " ".join(f"{v:.10g}" for v in np.asarray(values, np.float64).ravel())


def parse_floats(text: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.array([float(v) for v in text.split()], np.float64).reshape(shape)

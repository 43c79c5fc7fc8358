"""Finding the card in a photo: its outline as four sub-pixel corners.

Two stages, because the card must be found robustly but located precisely:

1. On a small copy of the photo, the card is the brightest near-white blob that looks like a
   quadrilateral. Several thresholds are tried (one fixed threshold bleeds into a bright table
   or misses a dim card) and the most card-like region wins; two equally card-like regions
   mean two cards.
2. On the full-resolution photo, each straight edge is sampled across at many points, the
   edge found at sub-pixel precision in every profile, and a robust line fitted; adjacent
   lines intersect at the corners. The rounded corners are left out of the fits, which is
   why corner detectors (cornerSubPix) fail on cards and line fits do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry

SEARCH_SIDE = 640  # long side of the small copy the card is searched in
_MIN_AREA = 0.01  # of the small copy: smaller blobs are not the card
_MIN_FILL = 0.93  # region area / its quadrilateral's area
_EDGE_SPAN = (0.16, 0.84)  # part of each side sampled: clear of rounded corners and indices
_EDGE_SAMPLES = 48


class CardNotFound(Exception):
    """No card, or more than one, in a photo; the message says which."""


@dataclass(frozen=True)
class CardOutline:
    """A card's corners in photo pixels, clockwise from a corner of a short side (so 0-1 is a
    short edge), and the spread of edge points about their fitted lines."""

    corners: np.ndarray  # (4, 2) float64
    edge_rms: float

    @property
    def long_side(self) -> float:
        return geometry.long_side(self.corners)


def find_card(photo: np.ndarray) -> CardOutline:
    """The single card in ``photo`` (BGR uint8); raises CardNotFound otherwise."""
    paper = paper_channel(photo)
    scale = SEARCH_SIDE / max(photo.shape[:2])
    small = cv2.resize(paper, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else paper
    scale = min(scale, 1.0)
    rough = _rough_quad(small) / scale
    # Pixel centres: a small-image pixel x covers full-image x / scale + (1 / scale - 1) / 2.
    rough += (1 / scale - 1) / 2
    reach = 2.0 / scale + 2
    # Only the card's surroundings are smoothed: a 12 MP photo is mostly table.
    low = np.maximum(np.floor(rough.min(axis=0) - 2 * reach), 0).astype(int)
    high = np.minimum(np.ceil(rough.max(axis=0) + 2 * reach), [paper.shape[1], paper.shape[0]]).astype(int)
    smooth = cv2.GaussianBlur(paper[low[1]:high[1], low[0]:high[0]].astype(np.float32), (0, 0), 1.0)
    corners, _ = _fit_edges(smooth, rough - low, reach=reach)
    corners, rms = _fit_edges(smooth, corners, reach=3.0)
    return CardOutline(_short_side_first(corners + low), rms)


def paper_channel(photo: np.ndarray) -> np.ndarray:
    """The darkest of B, G, R: high only where the photo is bright *and* neutral, like paper.

    A bright wooden table is bright in red but not in blue; green felt is dark in red.
    """
    if photo.ndim == 2:
        return photo
    blue, green, red = cv2.split(photo)
    return cv2.min(cv2.min(blue, green), red)


def _rough_quad(small: np.ndarray) -> np.ndarray:
    """The card's corners in the small copy, to a pixel or two."""
    candidates = []
    low, high = np.percentile(small, [50, 99.5])
    for threshold in np.linspace(low, high, 12)[1:-1]:
        candidates.extend(_card_like_regions(small >= threshold))
    if not candidates:
        raise CardNotFound("no card found (no bright, four-sided region)")
    best = max(candidates, key=lambda c: c[0])
    # Another region as big as the best, elsewhere in the photo, is a second card.
    for _, area, quad in candidates:
        apart = np.linalg.norm(quad.mean(axis=0) - best[2].mean(axis=0)) > np.sqrt(best[1])
        if apart and area > 0.6 * best[1]:
            raise CardNotFound("two or more cards found; lay one card per photo")
    return best[2]


def _card_like_regions(mask: np.ndarray) -> list[tuple[float, float, np.ndarray]]:
    """(score, area, quad) for each blob in ``mask`` that is a filled, card-shaped quadrilateral."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = _MIN_AREA * mask.size
    found = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < min_area:
            continue
        hull = cv2.convexHull(contour)
        quad = cv2.approxPolyN(hull, 4).reshape(4, 2).astype(np.float64)
        quad_area = cv2.contourArea(quad.astype(np.float32))
        if quad_area <= 0 or not _MIN_FILL <= area / quad_area <= 1 / _MIN_FILL:
            continue
        sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
        aspect = (sides[0] + sides[2]) / (sides[1] + sides[3])
        aspect = max(aspect, 1 / aspect)
        if not 1.05 < aspect < 2.2:  # a card is 88 / 63 = 1.40; perspective stretches it
            continue
        fill = min(area / quad_area, quad_area / area)
        found.append((fill * np.sqrt(area), area, quad))
    return found


def _fit_edges(smooth: np.ndarray, corners: np.ndarray, reach: float) -> tuple[np.ndarray, float]:
    """Corners refined by fitting a line to sub-pixel edge points along each side.

    ``reach`` is how far (pixels) across the current side the true edge may lie.
    """
    centre = corners.mean(axis=0)
    lines, residuals = [], []
    for i in range(4):
        start, end = corners[i], corners[(i + 1) % 4]
        points, strength = _edge_points(smooth, start, end, centre, reach)
        keep = strength > 0.25 * np.median(strength)
        if keep.sum() < 6:
            raise CardNotFound("card edge too faint to locate")
        line = _robust_line(points[keep])
        lines.append(line)
        residuals.append(_distances(line, points[keep]))
    refined = np.array([_intersect(lines[i - 1], lines[i]) for i in range(4)])
    return refined, float(np.sqrt(np.mean(np.concatenate(residuals) ** 2)))


def _edge_points(smooth: np.ndarray, start: np.ndarray, end: np.ndarray, centre: np.ndarray,
                 reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Where the paper ends along profiles across the side start-end: the steepest descent
    going outward, located by a parabola through the gradient peak."""
    along = end - start
    normal = np.array([along[1], -along[0]]) / np.linalg.norm(along)
    if np.dot(normal, (start + end) / 2 - centre) < 0:
        normal = -normal  # outward
    t = np.linspace(*_EDGE_SPAN, _EDGE_SAMPLES)
    step = 0.25
    offsets = np.arange(-reach, reach + step / 2, step)
    base = start + t[:, None] * along
    grid = base[:, None, :] + offsets[None, :, None] * normal
    profiles = cv2.remap(smooth, grid[..., 0].astype(np.float32), grid[..., 1].astype(np.float32),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    descent = -np.gradient(profiles, axis=1)
    peak = np.clip(descent.argmax(axis=1), 1, len(offsets) - 2)
    rows = np.arange(len(t))
    left, mid, right = descent[rows, peak - 1], descent[rows, peak], descent[rows, peak + 1]
    curvature = left - 2 * mid + right
    shift = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0.0)
    where = offsets[peak] + np.clip(shift, -1, 1) * step
    return base + where[:, None] * normal, mid


def _robust_line(points: np.ndarray) -> np.ndarray:
    """(nx, ny, c) with nx x + ny y + c = 0, fitted with a Huber loss so stray points weigh little."""
    vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    normal = np.array([vy, -vx], np.float64)
    return np.array([normal[0], normal[1], -normal @ np.array([x0, y0], np.float64)])


def _distances(line: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ line[:2] + line[2]


def _intersect(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    point = np.cross(first, second)
    return point[:2] / point[2]


def _short_side_first(corners: np.ndarray) -> np.ndarray:
    """Clockwise on screen (y down), starting so that corners 0-1 make a short side, and of
    the two such starts the one nearer the photo's top-left."""
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    corners = corners[np.argsort(angles)]  # increasing angle is clockwise when y points down
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    first = 0 if sides[0] + sides[2] <= sides[1] + sides[3] else 1
    options = [first, first + 2]
    start = min(options, key=lambda i: corners[i % 4].sum())
    return np.roll(corners, -start, axis=0)

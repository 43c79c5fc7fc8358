"""Finding the card in a photo: its outline as four sub-pixel corners.

Two stages, because the card must be found robustly but located precisely:

1. On a small copy of the photo, candidate regions come from bright paper (the darkest of
   B, G, R above several thresholds), neutral regions (low saturation: a card stays whole
   under a shadow's edge on a coloured table) and regions enclosed by colour edges (cards
   barely brighter than the table, faces mostly dark art); when none of these is a card, from
   the blobs of strong edges. A candidate is card-like when its blob nearly fills a
   quadrilateral of a card's shape (proportions, corners near square, opposite sides alike)
   and the ring just inside its outline holds paper brighter than the ring just outside (a
   green folder or a table patch enclosed by edges does not). The most card-like region wins;
   a second one as big elsewhere means two cards; no whole card but paper cut by the photo's
   border means the card is partly out of frame.
2. On the full-resolution photo, each straight edge is sampled across at many points, the
   edge found at sub-pixel precision in every profile, and a line fitted to the points most
   profiles agree on; adjacent lines intersect at the corners. The rounded corners are left
   out of the fits, which is why corner detectors (cornerSubPix) fail on cards and line fits
   do not. The edge taken is the outermost sharp step of each side's mean profile: a card
   printed with a dark frame ends where the frame meets the table, not where the white meets
   the frame. Where the frame is about as dark as the table, its faint outer step counts when
   three sides show it at one width.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.errors import CardprepError

SEARCH_SIDE = 640  # long side of the small copy the card is searched in
_MIN_AREA = 0.01  # of the small copy: smaller blobs are not the card
_MIN_FILL = 0.93  # region area / its quadrilateral's area
_CUT_FILL = 0.95  # the same for a region cut by the border, its hull against a pentagon (a disc fails it)
_MAX_CUT_AREA = 0.4  # of the small copy: a region cut by the border and bigger is the table
_MIN_OPPOSITE = 0.7  # shorter / longer of two opposite sides: steeper perspective is no photo of a card
_MIN_PAPER_STEP = 12.0  # grey levels the paper ring must be brighter than the table ring
_MIN_CUT_PAPER_STEP = 30.0  # the same for a region cut by the border, which only says why no card is found
_EDGE_SPAN = (0.16, 0.84)  # part of each side sampled: clear of rounded corners and indices
_EDGE_SAMPLES = 48
_STEP = 0.25  # px between samples along a profile
_MIN_NEUTRAL_VALUE = 60  # below this brightness, colour saturation is mostly noise
_FRAME_REACH = 0.02  # of the card's long side: how far outside the white a printed frame may reach
_STEP_SHARE = 0.05  # an outer step counts when it stands out by this share of the side's strongest
_MIN_STEP_SLOPE = 6.0  # grey levels per pixel: and by at least this much (a shadow's edge is softer)
_MIN_WEAK_SLOPE = 2.0  # grey levels per pixel: a frame's outer step that other sides confirm
_MIN_CONFIRMED_SLOPE = 1.0  # grey levels per pixel: the same step on a side, once the others agree on the frame
_SHARP_REACH = 24  # profile samples (6 px): outside, a side's edge falls to half its slope within this
_MIN_SIDE_SHARE = 0.2  # of the strongest side's edge: a weaker side has no edge (real cards: 0.38 and up)
_MIN_FRAME = 8  # profile samples (1 px) between a frame's inner and outer step, at least
_STEP_WIDTH = 12  # profile samples (3 px) outside a step within which it must fall away
_INLIER = 1.0  # px from a line through two edge points within which another counts as on it
_NEAR_LINE = 2.0  # px from the line they make within which a side's edge points are fitted


class CardNotFound(CardprepError):
    """No card, or more than one, in a photo; the message says which."""


@dataclass(frozen=True)
class CardOutline:
    """A card's corners in photo pixels, clockwise from a corner of a short side (so 0-1 is a
    short edge)."""

    corners: np.ndarray  # (4, 2) float64

    @property
    def long_side(self) -> float:
        return geometry.long_side(self.corners)


@dataclass(frozen=True)
class _Region:
    """A card-like region of the small copy."""

    area: float
    fill: float  # region area / its polygon's area, at most 1
    quad: np.ndarray  # (4, 2) for a whole region; the hull's pentagon for one cut by the border
    cut: bool  # touches the photo's border


def find_card(photo: np.ndarray) -> CardOutline:
    """The single card in ``photo`` (BGR uint8); raises CardNotFound otherwise."""
    colour = photo if photo.ndim == 3 else cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR)
    scale = min(SEARCH_SIDE / max(photo.shape[:2]), 1.0)
    rough = _rough_quad(_shrunk(colour, scale)) / scale
    # Pixel centres: a small-image pixel x covers full-image x / scale + (1 / scale - 1) / 2.
    rough += (1 / scale - 1) / 2
    reach = 3.0 / scale + 2
    frame = _FRAME_REACH * geometry.long_side(rough)
    # Only the card's surroundings are smoothed: a 12 MP photo is mostly table.
    margin = 2 * reach + frame
    low = np.maximum(np.floor(rough.min(axis=0) - margin), 0).astype(int)
    high = np.minimum(np.ceil(rough.max(axis=0) + margin), [photo.shape[1], photo.shape[0]]).astype(int)
    crop = colour[low[1]:high[1], low[0]:high[0]]
    # The darkest and the brightest of B, G, R, each smoothed itself (the darkest of smoothed
    # channels is a noisier, biased edge): paper ends where the first falls; a dark printed
    # frame meets a table where either rises.
    blue, green, red = cv2.split(crop)
    channels = cv2.merge([cv2.min(cv2.min(blue, green), red), cv2.max(cv2.max(blue, green), red)])
    smooth = cv2.GaussianBlur(channels.astype(np.float32), (0, 0), 1.0)
    corners = _fit_edges(smooth, rough - low, inside=reach, outside=reach, strongest=True)
    # Twice: the second time the profiles are aligned on a good line, so their mean is sharper.
    for _ in range(2):
        corners = _fit_edges(smooth, corners, inside=3.0 + frame, outside=3.0 + frame, strongest=False)
    # Lines that wandered far from the region found are not the card's edges (a shadow's or
    # the art's): no outline rather than a wrong one.
    if np.abs(corners - (rough - low)).max() > 2 * reach + frame:
        raise CardNotFound("card outline unclear (its edges do not run along the card-like region found)")
    return CardOutline(_short_side_first(corners + low))


def _shrunk(photo: np.ndarray, scale: float) -> np.ndarray:
    """``photo`` resized by ``scale`` <= 1, averaging: first by a whole factor (OpenCV's fast
    path, 4x faster on 12 MP), then the rest of the way."""
    if scale >= 1:
        return photo
    factor = int(1 / scale)
    height, width = photo.shape[:2]
    if factor >= 2:
        photo = cv2.resize(photo, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA)


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
    paper = paper_channel(small)
    masks, fallback = _candidate_masks(small, paper)
    regions = _with_paper([r for mask, pixel in masks for r in _card_like_regions(mask, pixel)], paper, 50)
    if not any(not r.cut for r in regions):
        # Judged against the bright part of the outside too: these blobs include a face panel
        # whose outside is the card's own paper, darker only where a shadow falls on it.
        fallback_regions = [r for mask, pixel in fallback for r in _card_like_regions(mask, pixel)]
        regions += _with_paper(fallback_regions, paper, 80)
    whole = [r for r in regions if not r.cut]
    if not whole:
        if regions:
            raise CardNotFound("the card is partly out of the frame (its paper runs off the photo's border); "
                               "keep the whole card in the photo")
        raise CardNotFound("no card found (no four-sided paper region brighter than its surroundings)")
    best = max(whole, key=lambda r: r.fill * np.sqrt(r.area))
    # Another region as big as the best, elsewhere in the photo, is a second card.
    for region in whole:
        apart = np.linalg.norm(region.quad.mean(axis=0) - best.quad.mean(axis=0)) > np.sqrt(best.area)
        if apart and region.area > 0.6 * best.area:
            raise CardNotFound("two or more cards found; lay one card per photo")
    return best.quad


def _candidate_masks(small: np.ndarray, paper: np.ndarray) -> tuple[list[tuple[np.ndarray, int]], ...]:
    """Masks whose blobs may be the card, each with its pixel size in small-copy pixels, and
    masks to fall back on when those find no card.

    First: bright paper at several thresholds; neutral (grey to white) regions, which keep a
    card whole under a shadow's edge on a coloured table; and the regions enclosed by colour
    edges at several edge strengths, found on a half-size copy (table texture makes their
    outlines long, and tracing them is the costly part). Then: the strong edges themselves,
    whose blobs' outlines lie a pixel or two outside the card and leak into the table more
    easily, but survive a dark-framed card half in shadow on white cloth.
    """
    low, high = np.percentile(paper[::2, ::2], [50, 99.5])
    masks = [(paper >= threshold, 1) for threshold in np.linspace(low, high, 12)[1:-1]]
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    lit = hsv[..., 2] >= _MIN_NEUTRAL_VALUE
    masks += [(lit & (hsv[..., 1] < saturation), 1) for saturation in (25, 45, 70)]
    half = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
    gradient = np.zeros(half.shape[:2], np.float32)
    for channel in cv2.split(half.astype(np.float32)):
        gradient = np.maximum(gradient, cv2.magnitude(cv2.Sobel(channel, cv2.CV_32F, 1, 0),
                                                      cv2.Sobel(channel, cv2.CV_32F, 0, 1)))
    levels = np.percentile(gradient, [70, 80, 88, 94, 99.5])
    masks += [(gradient < level, 2) for level in levels[:-1]]
    # The strong edges alone (a share of the strongest: a soft shadow's edge is none of them):
    # the card's outline with the art attached to it is one blob whose boundary is the card.
    return masks, [(_solid(gradient >= share * levels[-1]), 2) for share in (0.2, 0.35)]


def _solid(mask: np.ndarray) -> np.ndarray:
    """``mask`` with its blobs' holes filled, less what a 5 x 5 square cannot cover: a thin edge
    (a shadow's, the table's) that touches the card's outline no longer bends the outline."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return cv2.morphologyEx(filled, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(bool)


def _card_like_regions(mask: np.ndarray, pixel: int) -> list[_Region]:
    """Each blob in ``mask`` that is a filled quadrilateral of a card's shape or, where it
    touches the border, a filled cut quadrilateral; in small-copy pixels (a mask pixel is
    ``pixel`` of them)."""
    # Every blob's outer boundary, also of blobs inside another's hole (the card's inside,
    # within the table's blob): the top level of a two-level hierarchy.
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    outer = [c for c, links in zip(contours, hierarchy[0]) if links[3] < 0] if contours else []
    height, width = mask.shape
    found = []
    for contour in outer:
        area = cv2.contourArea(contour)
        if area < _MIN_AREA * mask.size:
            continue
        points = contour.reshape(-1, 2)
        low, high = points.min(axis=0) <= 0, points.max(axis=0) >= (width - 1, height - 1)
        cut = bool(low.any() or high.any())
        if np.any(low & high):
            continue  # from border to border: a stripe of table, not a card
        hull = cv2.convexHull(contour)
        corners = 5 if cut else 4
        if len(hull) < corners:
            continue
        polygon = cv2.approxPolyN(hull, corners).reshape(-1, 2).astype(np.float64)
        polygon_area = cv2.contourArea(polygon.astype(np.float32))
        # A cut card's art can reach the border and so fall outside its blob: its hull counts.
        filled = cv2.contourArea(hull) if cut else area
        fill = min(filled / polygon_area, polygon_area / filled) if polygon_area > 0 else 0.0
        if fill < (_CUT_FILL if cut else _MIN_FILL) or (cut and area > _MAX_CUT_AREA * mask.size):
            continue
        if not cut and not _card_proportions(polygon):
            continue
        found.append(_Region(filled * pixel**2, fill, polygon * pixel + (pixel - 1) / 2, cut))
    return found


def _with_paper(regions: list[_Region], paper: np.ndarray, outside: float) -> list[_Region]:
    """The regions with paper just inside their outline, brighter than the ``outside``
    percentile just outside; the many masks find the same region again and again, so each
    outline (to 3 px) is judged once."""
    steps: dict[bytes, float] = {}
    kept = []
    for region in regions:
        key = np.round(region.quad / 3).astype(np.int32).tobytes()
        if key not in steps:
            steps[key] = _paper_step(paper, region.quad, outside)
        if steps[key] >= (_MIN_CUT_PAPER_STEP if region.cut else _MIN_PAPER_STEP):
            kept.append(region)
    return kept


def _card_proportions(quad: np.ndarray) -> bool:
    """A card's 88:63 sides under a hand-held camera's perspective: stretched, but opposite
    sides of similar length (a triangle of paper inside a face's art is no card)."""
    edges = np.roll(quad, -1, axis=0) - quad
    sides = np.linalg.norm(edges, axis=1)
    aspect = (sides[0] + sides[2]) / (sides[1] + sides[3])
    opposite = min(sides[0] / sides[2], sides[2] / sides[0], sides[1] / sides[3], sides[3] / sides[1])
    # cos of each corner's angle: a card's corners stay within about 30 degrees of square
    cosines = np.abs(np.sum(edges * np.roll(edges, 1, axis=0), axis=1)) / (sides * np.roll(sides, 1))
    return 1.05 < max(aspect, 1 / aspect) < 2.2 and opposite > _MIN_OPPOSITE and cosines.max() < 0.5


def _paper_step(paper: np.ndarray, polygon: np.ndarray, outside: float) -> float:
    """How much brighter the paper just inside ``polygon`` is than the table just outside: the
    bright part (80th percentile) of an inner ring, a card's white margin even under a dark
    printed frame or dense art, against the ``outside`` percentile of an outer ring."""
    centre = polygon.mean(axis=0)
    low = np.maximum(np.floor(centre + 1.15 * (polygon.min(axis=0) - centre)) - 1, 0).astype(int)
    high = np.minimum(np.ceil(centre + 1.15 * (polygon.max(axis=0) - centre)) + 2, paper.shape[::-1]).astype(int)
    crop = paper[low[1]:high[1], low[0]:high[0]]

    def fill(factor: float) -> np.ndarray:
        mask = np.zeros(crop.shape, np.uint8)
        cv2.fillConvexPoly(mask, np.round(centre - low + factor * (polygon - centre)).astype(np.int32), 1)
        return mask.astype(bool)

    inner = fill(0.97) & ~fill(0.85)
    outer = fill(1.12) & ~fill(1.03)
    # A ring mostly beyond the photo's border says nothing about the region's surroundings.
    if not inner.any() or outer.sum() < 0.5 * (1.12**2 - 1.03**2) * cv2.contourArea(polygon.astype(np.float32)):
        return 0.0
    return float(np.percentile(crop[inner], 80) - np.percentile(crop[outer], outside))


@dataclass(frozen=True)
class _Side:
    """Profiles across one side of the current outline, every ``_STEP`` px from inside out."""

    base: np.ndarray  # (samples, 2): where each profile crosses the side
    normal: np.ndarray  # (2,): outward
    offsets: np.ndarray  # (offsets,): px along the normal
    slopes: np.ndarray  # (samples, offsets, 2): change per step of the darkest and brightest channel

    @classmethod
    def across(cls, smooth: np.ndarray, start: np.ndarray, end: np.ndarray, centre: np.ndarray,
               span: tuple[float, float]) -> _Side:
        along = end - start
        normal = np.array([along[1], -along[0]]) / np.linalg.norm(along)
        if np.dot(normal, (start + end) / 2 - centre) < 0:
            normal = -normal
        offsets = np.arange(-span[0], span[1] + _STEP / 2, _STEP)
        base = start + np.linspace(*_EDGE_SPAN, _EDGE_SAMPLES)[:, None] * along
        grid = base[:, None, :] + offsets[None, :, None] * normal
        profiles = cv2.remap(smooth, grid[..., 0].astype(np.float32), grid[..., 1].astype(np.float32),
                             cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return cls(base, normal, offsets, np.gradient(profiles, axis=1))

    def edge_points(self, rise: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each profile's peak of ``rise`` within ``window``, located by a parabola, and its height."""
        peak = np.clip(np.where(window, rise, -np.inf).argmax(axis=1), 1, len(self.offsets) - 2)
        rows = np.arange(len(rise))
        left, mid, right = rise[rows, peak - 1], rise[rows, peak], rise[rows, peak + 1]
        curvature = left - 2 * mid + right
        shift = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0.0)
        where = self.offsets[peak] + np.clip(shift, -1, 1) * _STEP
        return self.base + where[:, None] * self.normal, mid


def _fit_edges(smooth: np.ndarray, corners: np.ndarray, *, inside: float, outside: float,
               strongest: bool) -> np.ndarray:
    """Corners refined by fitting a line to sub-pixel edge points along each side.

    The true edge lies between ``inside`` pixels inside and ``outside`` pixels outside the
    current side; ``strongest`` takes each profile's steepest descent of the paper channel
    (for a rough start), otherwise the outermost sharp step of the side is followed.
    """
    centre = corners.mean(axis=0)
    sides = [_Side.across(smooth, corners[i], corners[(i + 1) % 4], centre, (inside, outside)) for i in range(4)]
    if strongest:
        rises = [(-side.slopes[..., 0], np.ones(len(side.offsets), bool)) for side in sides]
    else:
        rises = _outer_steps(sides)
    lines = []
    for side, (rise, window) in zip(sides, rises):
        points, strength = side.edge_points(rise, window)
        keep = strength > 0.25 * np.median(strength)
        if keep.sum() < 6:
            raise CardNotFound("card edge too faint to locate")
        lines.append(_robust_line(points[keep]))
    return np.array([_intersect(lines[i - 1], lines[i]) for i in range(4)])


def _outer_steps(sides: list[_Side]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each side, each profile's slope across the side's outermost sharp step, and the
    offsets (within 1.5 px of that step) where its peak is looked for.

    The mean of a side's profiles shows the steps that run along the whole side (the card's
    edge, a printed frame's inner edge) while the table's texture averages out. A frame is the
    design's, so it is as wide on every side (give or take perspective): a side that shows no
    clear outer step of its own (glare, a shadow, a dark frame on a dark table) takes its
    weaker step at the frame's width, where the other sides show it. Where the step is paper
    ending (the paper channel falls), the paper channel's slope is followed: JPEG keeps colour
    at half resolution, so a colour difference would blur the edge. Otherwise (a dark frame
    meeting the table) the slope along the step's change of both channels is.
    """
    means = [side.slopes.mean(axis=0) for side in sides]  # (offsets, channels)
    sizes = [np.linalg.norm(mean, axis=1) for mean in means]
    prominences = [_prominence(size, _STEP_WIDTH) for size in sizes]
    mains = [int(size.argmax()) for size in sizes]
    strongest = [size.max() for size in sizes]
    if min(strongest) < _MIN_SIDE_SHARE * max(strongest):
        raise CardNotFound("card outline unclear (a side shows no edge, as where a shadow's edge crosses the card)")
    if not all(_sharp(size, main) for size, main in zip(sizes, mains)):
        raise CardNotFound("card outline unclear (a side's edge is soft, like a shadow's across the card)")
    outer = []
    for size, prominence, main in zip(sizes, prominences, mains):
        steps = np.flatnonzero(prominence >= max(_STEP_SHARE * size.max(), _MIN_STEP_SLOPE * _STEP))
        outer.append(int(steps[-1]) if len(steps) else main)  # none: a faint edge, the strongest step
    width = _frame_width([step - main for step, main in zip(outer, mains)], prominences, mains)
    for i, (mean, size, prominence, main) in enumerate(zip(means, sizes, prominences, mains)):
        if width is None:
            # No frame that the sides agree on: one side's outer step alone is the card's edge
            # only where its white ends there (not a hard shadow or a seam in the table).
            if not _paper_ends(mean, size, outer[i]):
                outer[i] = main
        elif outer[i] - main < _MIN_FRAME:
            # Confirmed by the other sides, a fainter step will do.
            near = np.abs(np.arange(len(size)) - (main + width)) <= _frame_tolerance(width)
            found = near & (prominence >= _MIN_CONFIRMED_SLOPE * _STEP)
            if found.any():
                outer[i] = int(np.flatnonzero(found)[size[found].argmax()])
    rises = []
    for side, mean, size, step in zip(sides, means, sizes, outer):
        window = np.abs(np.arange(len(size)) - step) <= 6
        if _paper_ends(mean, size, step):
            rises.append((-side.slopes[..., 0], window))
        else:
            rises.append((side.slopes @ (mean[step] / size[step]), window))
    return rises


def _paper_ends(mean: np.ndarray, size: np.ndarray, step: int) -> bool:
    """Whether the side's mean profile at ``step`` is mostly the paper channel falling: the
    card's white ending there, rather than a dark frame meeting the table or a shade on it."""
    return bool(-mean[step, 0] >= 0.5 * size[step])


def _frame_width(clear: list[int], prominences: list[np.ndarray], mains: list[int]) -> float | None:
    """The printed frame's width in profile samples, if the sides show one: two sides with a
    clear outer step at least _MIN_FRAME beyond their strongest, or, on a table about as dark
    as the frame, a weak step at a like width on three sides (the table's texture does not
    line up on three sides at one distance; a sharpened edge's halo lies closer). Of several
    such widths, the one most sides show, then the widest."""
    framed = [width for width in clear if width >= _MIN_FRAME]
    if len(framed) >= 2:
        return float(np.median(framed))
    weak = [np.flatnonzero(prominence >= _MIN_WEAK_SLOPE * _STEP) - main
            for prominence, main in zip(prominences, mains)]
    candidates = {int(w) for widths in weak for w in widths if w >= 2 * _MIN_FRAME}
    support = {width: sum(np.any(np.abs(widths - width) <= _frame_tolerance(width)) for widths in weak)
               for width in candidates}
    agreed = [width for width in candidates if support[width] >= 3]
    return float(max(agreed, key=lambda width: (support[width], width))) if agreed else None


def _frame_tolerance(width: float) -> float:
    """How far from the frame's width a side may show it: perspective makes the near side's
    frame look up to a third wider than the far side's."""
    return max(_MIN_FRAME // 2, 0.35 * width)


def _sharp(size: np.ndarray, peak: int) -> bool:
    """Whether the slope peak at ``peak`` falls to half within _SHARP_REACH outside, as a card's
    edge (or a printed frame's) does and the soft edge of a shadow across the card does not.
    (Inside, face art may come close to the edge.)"""
    outside = size[peak + 1:peak + 1 + _SHARP_REACH]
    return len(outside) == 0 or outside.min() <= 0.5 * size[peak]


def _prominence(values: np.ndarray, width: int) -> np.ndarray:
    """How far each peak of ``values`` outside the highest one rises above both the dip
    between them and the lowest value within ``width`` samples further out; -inf elsewhere.
    A card's edge is a sharp peak of slope that falls away outside; the soft edge of its drop
    shadow is a broad hump that does not."""
    main = int(values.argmax())
    result = np.full(len(values), -np.inf)
    result[main] = values[main]
    for k in range(main + 1, len(values) - 1):
        if values[k] >= values[k - 1] and values[k] >= values[k + 1]:
            beyond = values[k + 1:k + width + 1].min()
            result[k] = values[k] - max(values[main:k].min(), beyond)
    return result


def _robust_line(points: np.ndarray) -> np.ndarray:
    """(nx, ny, c) with nx x + ny y + c = 0: the line through two of ``points`` that passes
    close (_INLIER) to most of them, refitted to the points near it.

    Where a printed frame runs close to the edge, some profiles find the edge and others the
    frame: a fit to all of them would cross from one to the other at a slant, this one follows
    whichever runs along more of the side.
    """
    first, second = np.triu_indices(len(points), 1)
    along = points[second] - points[first]
    length = np.linalg.norm(along, axis=1)
    first, along, length = first[length > 0], along[length > 0], length[length > 0]
    normals = np.stack([along[:, 1], -along[:, 0]], axis=1) / length[:, None]
    distances = np.abs(points @ normals.T - np.sum(normals * points[first], axis=1))
    inliers = distances[:, np.argmax((distances < _INLIER).sum(axis=0))] < _INLIER
    line = _huber_line(points[inliers])
    # A lens bends a long edge by a pixel or two, so the chord found may hold only part of the
    # side: it takes in every point near it, clear of a frame 3 px and more from the edge.
    return _huber_line(points[np.abs(points @ line[:2] + line[2]) < _NEAR_LINE])


def _huber_line(points: np.ndarray) -> np.ndarray:
    """(nx, ny, c) fitted to ``points`` with a Huber loss, so stray points weigh little."""
    vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    normal = np.array([vy, -vx], np.float64)
    return np.array([normal[0], normal[1], -normal @ np.array([x0, y0], np.float64)])


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

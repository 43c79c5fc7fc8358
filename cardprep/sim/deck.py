"""The project's own deck: club and heart cards drawn from geometry, no downloaded art, in
several designs; and :class:`Deck`, what the simulator photographs (this deck, or one loaded
from card faces by :func:`cardprep.sim.faces.load_deck`).

Cards follow the Anglo-American layout: standard pip positions for A-10 (pips in the upper
half upright, in the lower half inverted, a centre pip upright, so that exactly the odd
ranks A, 3, 5, 7, 9 change under a half turn), corner indices (rank over a
small suit) at top-left and, turned by half a turn, at bottom-right, rounded corners, and
double-headed J/Q/K panels whose figure faces left on clubs and right on hearts. The
designs (:class:`Design`) vary what real decks vary: pip shapes, index fonts and sizes, side
pips of 6, 7 and 8 that point one way (so 6 and 8 change under a half turn too), borders,
face art reaching close to the edge, dark and colourful face panels.

Convention: a card's own frame is in millimetres, x right, y down, origin at the top-left
corner of its bounding rectangle, so the card covers [0, 63] x [0, 88]. The drawn texture
has ``tex = mm * scale - 0.5`` (OpenCV pixel centres), so its pixel grid covers exactly
that rectangle and a warp of the texture puts the card edge where its homography says.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import cv2
import numpy as np

from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM, FACE_RANKS, ODD_RANKS, RANKS

CORNER_RADIUS_MM = 3.2

PAPER_BGR = (236, 241, 243)
FACE_PANEL_MM = (11.5, 12.5, 51.5, 75.5)  # x0, y0, x1, y1: clear of both corner indices
INDEX_BOX_MM = (1.6, 3.0, 9.4, 10.8)  # rank glyph box at the top-left
INDEX_SUIT_MM = (5.5, 14.6, 5.0)  # small suit: centre x, centre y, height
INDEX_CORNER_MM = (11.0, 18.0)  # the corner patch copied, turned, to the bottom-right
_SUBPIXEL_BITS = 4  # OpenCV drawing at 1/16 px


class Suit(str, Enum):
    CLUBS = "clubs"
    HEARTS = "hearts"


SUIT_BGR = {Suit.CLUBS: (34, 30, 28), Suit.HEARTS: (44, 34, 196)}
BGR = tuple[int, int, int]


class PipShape(str, Enum):
    CLASSIC = "classic"  # a cardioid heart; a club of three leaves on a flared stem
    ROUND = "round"  # a heart of two circles and a point; a club of three big leaves on a thin stem
    SLENDER = "slender"  # the classic shapes, a fifth narrower


@dataclass(frozen=True)
class Border:
    """A line drawn around the card, ``inset_mm`` inside its edge."""

    inset_mm: float
    width_mm: float
    colour: BGR


@dataclass(frozen=True)
class Style:
    """How the built-in deck draws its cards; the defaults are the classic design."""

    pips: PipShape = PipShape.CLASSIC
    index_font: int = cv2.FONT_HERSHEY_DUPLEX
    index_scale: float = 1.0  # corner index size, relative to the classic's
    side_pips_one_way: bool = False  # middle-row side pips of 6, 7, 8 both upright, as many real decks
    border: Border | None = None
    face_panel_mm: tuple[float, float, float, float] = FACE_PANEL_MM  # x0, y0, x1, y1
    panel_fill: BGR | None = None  # the face panel's ground; None: the paper

    def __post_init__(self) -> None:
        if not 0.6 <= self.index_scale <= 1.5:
            raise ValueError(f"index_scale must be between 0.6 and 1.5, got {self.index_scale}")


class Design(str, Enum):
    """The built-in deck's designs, for benchmarks that report per design."""

    CLASSIC = "classic"
    MODERN = "modern"
    FRAMED = "framed"
    DARK_FACES = "dark-faces"  # and a dark band along the edge
    FULL_ART = "full-art"


STYLES: dict[Design, Style] = {
    Design.CLASSIC: Style(),
    Design.MODERN: Style(pips=PipShape.ROUND, index_font=cv2.FONT_HERSHEY_SIMPLEX, index_scale=1.3,
                         side_pips_one_way=True, panel_fill=(170, 120, 40)),
    Design.FRAMED: Style(pips=PipShape.SLENDER, index_font=cv2.FONT_HERSHEY_TRIPLEX, index_scale=0.8,
                         border=Border(1.0, 0.4, (140, 70, 30)), panel_fill=(120, 200, 235)),
    Design.DARK_FACES: Style(index_font=cv2.FONT_HERSHEY_COMPLEX, side_pips_one_way=True,
                             border=Border(0.7, 1.4, (70, 40, 30)), panel_fill=(60, 35, 30)),
    Design.FULL_ART: Style(pips=PipShape.ROUND, index_scale=0.9, face_panel_mm=(2.5, 2.5, 60.5, 85.5),
                           panel_fill=(70, 150, 220)),
}


@dataclass(frozen=True)
class PipSpot:
    """One pip of a layout: centre in card mm, height in mm, upright or turned."""

    x: float
    y: float
    height: float
    upright: bool


@dataclass(frozen=True)
class CardImage:
    """A drawn card: BGR texture and coverage (255 inside the rounded outline)."""

    image: np.ndarray  # (H, W, 3) uint8
    alpha: np.ndarray  # (H, W) uint8
    scale: tuple[float, float]  # texture px per mm in x and y

    def tex_from_mm(self) -> np.ndarray:
        """3x3 map from card mm to texture pixel coordinates."""
        sx, sy = self.scale
        return np.array([[sx, 0.0, -0.5], [0.0, sy, -0.5], [0.0, 0.0, 1.0]])


class Deck(ABC):
    """What the simulator photographs: an image of each card, drawn or loaded from files."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The design's name, for summaries and benchmark rows."""

    @abstractmethod
    def card(self, rank: str, suit: Suit, *, px_per_mm: float) -> CardImage:
        """The card, about ``px_per_mm`` texture pixels per millimetre where the deck can draw it so."""

    def missing(self, cards: Iterable[tuple[str, Suit]]) -> list[str]:
        """Which of ``cards`` the deck has no image of, as 'rank-suit' names."""
        return []


@dataclass(frozen=True)
class BuiltInDeck(Deck):
    """The project's own deck in one of its designs: every card, drawn at whatever sharpness is asked."""

    design: Design = Design.CLASSIC

    @property
    def name(self) -> str:
        return self.design.value

    def card(self, rank: str, suit: Suit, *, px_per_mm: float) -> CardImage:
        return draw_card(rank, suit, px_per_mm=px_per_mm, style=STYLES[self.design])


def pip_layout(rank: str, *, one_way: bool = False) -> tuple[PipSpot, ...]:
    """The standard pip positions of ``rank`` (A-10); face cards have none.

    ``one_way``: the middle-row side pips (6, 7, 8) both stand upright instead of point-symmetric.
    """
    if rank in FACE_RANKS:
        return ()
    if rank == "A":
        return (PipSpot(CARD_WIDTH_MM / 2, CARD_HEIGHT_MM / 2, 24.0, True),)
    left, centre, right = 19.0, CARD_WIDTH_MM / 2, 44.0
    top, bottom = 17.5, CARD_HEIGHT_MM - 17.5

    def row(t: float) -> float:
        return top + t * (bottom - top)

    n = int(rank)
    columns: list[tuple[float, float]] = []
    if n in (2, 3):
        columns += [(centre, 0.0), (centre, 1.0)]
    else:
        side_rows = {4: (0, 1), 5: (0, 1), 6: (0, 0.5, 1), 7: (0, 0.5, 1), 8: (0, 0.5, 1),
                     9: (0, 1 / 3, 2 / 3, 1), 10: (0, 1 / 3, 2 / 3, 1)}[n]
        columns += [(x, t) for x in (left, right) for t in side_rows]
    centre_rows = {3: (0.5,), 5: (0.5,), 7: (0.25,), 8: (0.25, 0.75), 9: (0.5,), 10: (1 / 6, 5 / 6)}
    columns += [(centre, t) for t in centre_rows.get(n, ())]
    return tuple(PipSpot(x, row(t), 10.5, _upright(x, t, one_way)) for x, t in columns)


def _upright(x: float, t: float, one_way: bool) -> bool:
    """Upper-half pips stand upright, lower-half pips are turned.

    On the middle row the centre pip stands upright, which is what makes A, 3, 5, 7 and 9
    look different upside down. Side pips on the middle row (6, 7, 8) are drawn point-
    symmetric, left upright and right turned, so the even ranks look the same both ways,
    as the seed's deck did; or, ``one_way``, both upright, as in many real decks.
    """
    if t != 0.5:
        return t < 0.5
    return one_way or x <= CARD_WIDTH_MM / 2


def suit_polygons(suit: Suit, shape: PipShape = PipShape.CLASSIC) -> list[np.ndarray]:
    """The upright suit symbol as polygons in a unit box: x in [-0.5, 0.5], y down, height 1.

    Every shape puts its mass in the upper part with a narrow tail at the bottom (the heart's
    point, the club's stem): that asymmetry is what tells an upright pip from a turned one.
    """
    if shape is PipShape.ROUND:
        return _round_pip(suit)
    polygons = _classic_pip(suit)
    if shape is PipShape.SLENDER:
        return [p * np.array([0.8, 1.0]) for p in polygons]
    return polygons


def _classic_pip(suit: Suit) -> list[np.ndarray]:
    if suit is Suit.HEARTS:
        t = np.linspace(0.0, 2.0 * np.pi, 160, endpoint=False)
        x = 16.0 * np.sin(t) ** 3
        y = -(13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t))
        y0, y1 = y.min(), y.max()
        scale = 1.0 / (y1 - y0)
        return [np.stack([x * scale, (y - y0) * scale - 0.5], axis=1)]
    radius = 0.215
    leaves = [_circle(0.0, -0.5 + radius, radius), _circle(-0.245, 0.02, radius), _circle(0.245, 0.02, radius)]
    stem = np.array([[-0.045, 0.0], [0.045, 0.0], [0.07, 0.3], [0.2, 0.5], [-0.2, 0.5], [-0.07, 0.3]])
    core = np.array([[-0.2, -0.1], [0.2, -0.1], [0.2, 0.12], [-0.2, 0.12]])
    return [*leaves, stem, core]


def _round_pip(suit: Suit) -> list[np.ndarray]:
    if suit is Suit.HEARTS:  # two lobes and a straight-sided point
        lobes = [_circle(-0.235, -0.26, 0.24), _circle(0.235, -0.26, 0.24)]
        return [*lobes, np.array([[-0.47, -0.2], [0.47, -0.2], [0.0, 0.5]])]
    radius = 0.235
    leaves = [_circle(0.0, -0.5 + radius, radius), _circle(-0.26, 0.04, radius), _circle(0.26, 0.04, radius)]
    stem = np.array([[-0.03, -0.05], [0.03, -0.05], [0.04, 0.38], [0.14, 0.5], [-0.14, 0.5], [-0.04, 0.38]])
    return [*leaves, stem, np.array([[-0.16, -0.12], [0.16, -0.12], [0.0, 0.12]])]


def _circle(cx: float, cy: float, r: float, n: int = 72) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def draw_card(rank: str, suit: Suit, *, px_per_mm: float, style: Style = STYLES[Design.CLASSIC]) -> CardImage:
    """Draw the ``rank`` of ``suit`` at about ``px_per_mm`` texture pixels per millimetre."""
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")
    width = max(16, int(round(CARD_WIDTH_MM * px_per_mm)))
    height = max(22, int(round(CARD_HEIGHT_MM * width / CARD_WIDTH_MM)))
    canvas = _Canvas(width, height, (width / CARD_WIDTH_MM, height / CARD_HEIGHT_MM))
    ink = SUIT_BGR[suit]

    pip = suit_polygons(suit, style.pips)
    for spot in pip_layout(rank, one_way=style.side_pips_one_way):
        canvas.fill(_place(pip, spot.x, spot.y, spot.height, upright=spot.upright), ink)
    if rank in FACE_RANKS:
        _draw_face_panel(canvas, rank, suit, style)
    if style.border is not None:
        inset = style.border.inset_mm
        radius = max(CORNER_RADIUS_MM - inset, 0.5)
        frame = _rounded_rect(inset, inset, CARD_WIDTH_MM - inset, CARD_HEIGHT_MM - inset, radius)
        canvas.stroke(frame, style.border.colour, style.border.width_mm, closed=True)
    _draw_index(canvas, rank, suit, style)
    return CardImage(canvas.image, outline_alpha(width, height), canvas.scale)


def outline_alpha(width: int, height: int) -> np.ndarray:
    """Coverage of a ``width`` x ``height`` card texture: 255 inside the spec's rounded outline."""
    alpha = np.zeros((height, width), np.uint8)
    outline = _rounded_rect(0.0, 0.0, CARD_WIDTH_MM, CARD_HEIGHT_MM, CORNER_RADIUS_MM)
    scale = (width / CARD_WIDTH_MM, height / CARD_HEIGHT_MM)
    cv2.fillPoly(alpha, [_to_fixed(outline, scale)], 255, cv2.LINE_AA, _SUBPIXEL_BITS)
    return alpha


def _to_fixed(points_mm: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """Card mm to OpenCV's fixed-point pixel coordinates (1/16 px)."""
    px = points_mm * np.asarray(scale) - 0.5
    return np.round(px * (1 << _SUBPIXEL_BITS)).astype(np.int32)


class _Canvas:
    """A card texture being drawn in mm coordinates, anti-aliased."""

    def __init__(self, width: int, height: int, scale: tuple[float, float]) -> None:
        self.image = np.empty((height, width, 3), np.uint8)
        self.image[:] = PAPER_BGR
        self.scale = scale

    def to_fixed(self, points_mm: np.ndarray) -> np.ndarray:
        return _to_fixed(points_mm, self.scale)

    def fill(self, polygons_mm: list[np.ndarray], colour: tuple[int, int, int]) -> None:
        """Fill the union of ``polygons_mm`` with ``colour`` (coverage-blended edges)."""
        fixed = [self.to_fixed(polygon) for polygon in polygons_mm]
        height, width = self.image.shape[:2]
        x0, y0 = (np.min([f.min(axis=0) for f in fixed], axis=0) >> _SUBPIXEL_BITS) - 1
        x1, y1 = (np.max([f.max(axis=0) for f in fixed], axis=0) >> _SUBPIXEL_BITS) + 2
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        shift = np.array([x0, y0], np.int32) << _SUBPIXEL_BITS
        for polygon in fixed:  # one call per polygon: fillPoly cancels overlaps within a call
            cv2.fillPoly(mask, [polygon - shift], 255, cv2.LINE_AA, _SUBPIXEL_BITS)
        self.blend(mask, colour, origin=(int(x0), int(y0)))

    def stroke(self, polyline_mm: np.ndarray, colour: tuple[int, int, int], width_mm: float, closed: bool) -> None:
        mask = np.zeros(self.image.shape[:2], np.uint8)
        thickness = max(1, int(round(width_mm * self.scale[0])))
        cv2.polylines(mask, [self.to_fixed(polyline_mm)], closed, 255, thickness, cv2.LINE_AA, _SUBPIXEL_BITS)
        self.blend(mask, colour)

    def blend(self, mask: np.ndarray, colour: tuple[int, int, int], origin: tuple[int, int] = (0, 0)) -> None:
        x, y = origin
        h, w = mask.shape
        region = self.image[y : y + h, x : x + w]
        a = mask.astype(np.float32)[..., None] / 255.0
        region[:] = (region * (1.0 - a) + np.asarray(colour, np.float32) * a + 0.5).astype(np.uint8)


def _place(polygons: list[np.ndarray], x: float, y: float, height: float, *, upright: bool) -> list[np.ndarray]:
    turn = 1.0 if upright else -1.0  # a half turn negates both axes
    return [np.array([x, y]) + p * height * turn for p in polygons]


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    arcs = []
    for (cx, cy), start in (((x1 - r, y0 + r), -90), ((x1 - r, y1 - r), 0), ((x0 + r, y1 - r), 90), ((x0 + r, y0 + r), 180)):
        t = np.radians(np.linspace(start, start + 90, 24))
        arcs.append(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1))
    return np.concatenate(arcs)


def _draw_index(canvas: _Canvas, rank: str, suit: Suit, style: Style) -> None:
    """Rank over a small suit at the top-left, and the same corner turned at the bottom-right.

    The corner is laid on paper, so face art that reaches the corner leaves room for it.
    """
    ink = SUIT_BGR[suit]
    sx, sy = canvas.scale
    k = style.index_scale
    cw, ch = int(round(INDEX_CORNER_MM[0] * k * sx)), int(round(INDEX_CORNER_MM[1] * k * sy))
    if style.face_panel_mm != FACE_PANEL_MM and rank in FACE_RANKS:
        canvas.image[:ch, :cw] = PAPER_BGR
    x0, y0, x1, y1 = INDEX_BOX_MM
    x1, y1 = x0 + (x1 - x0) * k, y0 + (y1 - y0) * k  # grown from its top-left corner
    box = (int(round(x0 * sx)), int(round(y0 * sy)), int(round(x1 * sx)), int(round(y1 * sy)))
    canvas.blend(_text_mask(rank, box[2] - box[0], box[3] - box[1], style.index_font), ink, origin=box[:2])
    cx, cy, h = INDEX_SUIT_MM
    cx, cy, h = x0 + (cx - x0) * k, y0 + (cy - y0) * k, h * k
    canvas.fill(_place(suit_polygons(suit, style.pips), cx, cy, h, upright=True), ink)

    height, width = canvas.image.shape[:2]
    canvas.image[height - ch :, width - cw :] = canvas.image[:ch, :cw][::-1, ::-1]


def _text_mask(text: str, width: int, height: int, font: int) -> np.ndarray:
    """``text`` in a Hershey ``font``, stretched to fill a ``width`` x ``height`` box (anti-aliased)."""
    scale, thickness = 4.0, 9
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness
    big = np.zeros((th + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(big, text, (pad, th + pad), font, scale, 255, thickness, cv2.LINE_AA)
    ys, xs = np.nonzero(big)
    big = big[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    glyph_w = min(width, int(round(height * big.shape[1] / big.shape[0])))
    resized = cv2.resize(big, (max(1, glyph_w), max(1, height)), interpolation=cv2.INTER_AREA)
    mask = np.zeros((height, width), np.uint8)
    offset = (width - resized.shape[1]) // 2
    mask[:, offset : offset + resized.shape[1]] = resized
    return mask


def _draw_face_panel(canvas: _Canvas, rank: str, suit: Suit, style: Style) -> None:
    """A framed, double-headed figure: drawn in the upper half, then the half turn of it below.

    The club figure faces left and the heart figure faces right, as in real decks, so the
    two versions of a face card differ in more than colour.
    """
    x0, y0, x1, y1 = style.face_panel_mm
    ink = SUIT_BGR[suit]
    accent = (40, 190, 230)  # gold
    robe = (150, 90, 40) if suit is Suit.CLUBS else (60, 50, 180)
    facing = -1.0 if suit is Suit.CLUBS else 1.0
    cx, mid = (x0 + x1) / 2, (y0 + y1) / 2
    half_h = mid - y0

    def at(u: float, v: float) -> tuple[float, float]:
        # (u, v) in a unit upper half: u across [-0.5, 0.5], v from the top (0) to the middle (1).
        return cx + u * (x1 - x0), y0 + v * half_h

    def poly(points: list[tuple[float, float]]) -> np.ndarray:
        return np.array([at(facing * u, v) for u, v in points])

    shapes: list[tuple[list[np.ndarray], tuple[int, int, int]]] = [
        ([poly([(-0.36, 1.0), (0.36, 1.0), (0.24, 0.56), (-0.24, 0.56)])], robe),
        ([poly([(-0.3, 0.98), (-0.22, 0.62), (-0.16, 0.62), (-0.24, 0.98)]),
          poly([(0.24, 0.98), (0.16, 0.62), (0.22, 0.62), (0.3, 0.98)])], accent),
        ([poly([(-0.05, 0.56), (0.05, 0.56), (0.08, 1.0), (-0.08, 1.0)])], ink),
        ([np.array([at(facing * u, v) for u, v in _circle(0.0, 0.42, 0.13)])], (170, 200, 235)),
        ([poly([(0.12, 0.38), (0.2, 0.45), (0.11, 0.47)])], (150, 180, 220)),  # nose: the facing side
        ([np.array([at(facing * u, v) for u, v in _circle(0.06, 0.38, 0.022)])], (40, 40, 40)),
        ([poly(_headwear(rank))], accent),
        ([poly(_held_item(rank))], ink),
    ]
    if style.panel_fill is not None:
        shapes.insert(0, ([np.array([[x0, y0], [x1, y0], [x1, mid], [x0, mid]])], style.panel_fill))
    for polygons, colour in shapes:
        canvas.fill(polygons, colour)
    corner = (x0 + 4.0, y0 + 4.5)
    canvas.fill(_place(suit_polygons(suit, style.pips), *corner, 5.0, upright=True), ink)

    sx, sy = canvas.scale
    px0, py0, px1, pmid = (int(round(x0 * sx)), int(round(y0 * sy)), int(round(x1 * sx)), int(round(mid * sy)))
    py1 = 2 * pmid - py0
    canvas.image[pmid:py1, px0:px1] = canvas.image[py0:pmid, px0:px1][::-1, ::-1][: py1 - pmid]
    frame = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    canvas.stroke(frame, ink, 0.45, closed=True)
    canvas.stroke(np.array([[x0, mid], [x1, mid]]), ink, 0.3, closed=False)


def _headwear(rank: str) -> list[tuple[float, float]]:
    if rank == "K":  # a crown with three points
        return [(-0.15, 0.3), (-0.17, 0.1), (-0.08, 0.2), (0.0, 0.06), (0.08, 0.2), (0.17, 0.1), (0.15, 0.3)]
    if rank == "Q":  # a rounded crown
        return [(-0.15, 0.3), (-0.13, 0.16), (-0.06, 0.12), (0.0, 0.16), (0.06, 0.12), (0.13, 0.16), (0.15, 0.3)]
    return [(-0.16, 0.31), (-0.12, 0.2), (0.12, 0.18), (0.26, 0.24), (0.16, 0.3)]  # J: a cap with a brim


def _held_item(rank: str) -> list[tuple[float, float]]:
    """Held on the side away from the face: a sword (K), a sceptre (Q) or a halberd (J)."""
    if rank == "K":
        return [(-0.4, 0.06), (-0.37, 0.06), (-0.37, 0.9), (-0.4, 0.9)]
    if rank == "Q":
        return [(-0.41, 0.2), (-0.35, 0.14), (-0.29, 0.2), (-0.36, 0.26), (-0.36, 0.9), (-0.38, 0.9), (-0.38, 0.26)]
    return [(-0.39, 0.05), (-0.3, 0.16), (-0.37, 0.2), (-0.37, 0.9), (-0.39, 0.9)]

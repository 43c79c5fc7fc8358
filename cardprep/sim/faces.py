"""Decks loaded from card faces: a folder of images, one per card, photographed like the built-in deck.

A face is named by rank and suit, case-insensitive, with or without a separator:
``7-clubs.png``, ``7_of_clubs.png``, ``7C.svg``, ``10H.png``, ``TH.png`` (T for ten),
``K-hearts.jpg``, ``king-of-hearts.png``, ``ace_of_clubs.svg``. Files whose names are not a
card (README, LICENSE, backs, jokers) are passed over; diamonds and spades are read past
too (the simulator photographs clubs and hearts). PNG, JPEG and WebP are read as they are;
SVG is rendered by the optional resvg-py (``pip install 'cardprep[svg]'``).

Each face is stretched to the 63 x 88 mm card it is printed on. Its coverage comes from the
image's alpha where it has one (the design's own rounded corners), else from the spec's
rounded outline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cardprep.errors import CardprepError
from cardprep.sim.deck import CardImage, Deck, Suit, outline_alpha
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

SVG_PX_PER_MM = 10.0  # SVG faces are rendered this sharp: a 1600x1200 photo sees a card at ~7 px/mm
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
ASPECT_TOLERANCE = 0.06  # a face may be this much off the card's width/height (Bellot's SVG-cards: 3.5%)
_RANK_WORDS = {"a": "A", "ace": "A", "1": "A", "t": "10", "j": "J", "jack": "J", "q": "Q", "queen": "Q",
               "k": "K", "king": "K", **{str(n): str(n) for n in range(2, 11)}}
_SUIT_WORDS = {"c": "clubs", "club": "clubs", "clubs": "clubs", "h": "hearts", "heart": "hearts",
               "hearts": "hearts", "d": "diamonds", "diamond": "diamonds", "diamonds": "diamonds",
               "s": "spades", "spade": "spades", "spades": "spades"}
_NAME = re.compile(r"(?P<rank>ace|king|queen|jack|10|[1-9akqjt])[-_ ]?(?:of[-_ ])?(?P<suit>[a-z]+)")


@dataclass(frozen=True, eq=False)
class FaceDeck(Deck):
    """A deck of card images, one per (rank, suit) it has."""

    label: str
    faces: Mapping[tuple[str, Suit], CardImage] = field(repr=False)

    @property
    def name(self) -> str:
        return self.label

    def card(self, rank: str, suit: Suit, *, px_per_mm: float) -> CardImage:
        """The face, brought down to ``px_per_mm`` if it is over twice as sharp (warping it as it is would alias)."""
        face = self.faces.get((rank, suit))
        if face is None:
            raise CardprepError(f"deck {self.label}: no face for {rank}-{suit.value}")
        if face.scale[0] <= 2.0 * px_per_mm:
            return face
        width = max(16, int(round(CARD_WIDTH_MM * px_per_mm)))
        height = max(22, int(round(CARD_HEIGHT_MM * width / CARD_WIDTH_MM)))
        image = cv2.resize(face.image, (width, height), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(face.alpha, (width, height), interpolation=cv2.INTER_AREA)
        return CardImage(image, alpha, (width / CARD_WIDTH_MM, height / CARD_HEIGHT_MM))

    def missing(self, cards: Iterable[tuple[str, Suit]]) -> list[str]:
        return [f"{rank}-{suit.value}" for rank, suit in dict.fromkeys(cards) if (rank, suit) not in self.faces]


def card_of(path: Path) -> tuple[str, str] | None:
    """(rank, suit) a face's file name stands for, suits spelt out ('clubs'); None if it names no card."""
    match = _NAME.fullmatch(path.stem.lower())
    if match is None or match["suit"] not in _SUIT_WORDS:
        return None
    return _RANK_WORDS[match["rank"]], _SUIT_WORDS[match["suit"]]


def load_deck(folder: str | Path, *, svg_px_per_mm: float = SVG_PX_PER_MM) -> FaceDeck:
    """The club and heart faces in ``folder``, read once; an error names a file that cannot be used."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CardprepError(f"{folder}: not a folder of card faces")
    found: dict[tuple[str, Suit], Path] = {}
    for path in sorted(folder.iterdir()):
        card = card_of(path) if path.suffix.lower() in (*IMAGE_SUFFIXES, ".svg") else None
        if card is None or card[1] not in {s.value for s in Suit}:
            continue
        key = (card[0], Suit(card[1]))
        if key in found:
            raise CardprepError(f"{folder}: {found[key].name} and {path.name} are both the "
                                f"{card[0]}-{card[1]}; keep one")
        found[key] = path
    if not found:
        raise CardprepError(f"{folder}: no club or heart card faces; name them like 7-clubs.png, 10H.svg or "
                            "K-hearts.jpg")
    faces = {key: face_image(_read_face(path, svg_px_per_mm), path) for key, path in found.items()}
    return FaceDeck(folder.name, faces)


def face_image(pixels: np.ndarray, path: Path) -> CardImage:
    """A decoded face (grey, BGR or BGRA, 8 or 16 bit) as a card texture with its coverage."""
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    height, width = pixels.shape[:2]
    aspect = (width / height) / (CARD_WIDTH_MM / CARD_HEIGHT_MM)
    if abs(aspect - 1.0) > ASPECT_TOLERANCE:
        raise CardprepError(f"{path}: {width}x{height} px is not a card face upright (63 x 88 mm, width/height "
                            f"{CARD_WIDTH_MM / CARD_HEIGHT_MM:.3f}; got {width / height:.3f})")
    if pixels.shape[2] == 4:
        image, alpha = _bleed(pixels[..., :3], pixels[..., 3]), np.ascontiguousarray(pixels[..., 3])
    else:
        image, alpha = np.ascontiguousarray(pixels[..., :3]), outline_alpha(width, height)
    return CardImage(image, alpha, (width / CARD_WIDTH_MM, height / CARD_HEIGHT_MM))


def _bleed(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``image`` with fully transparent pixels given their opaque neighbours' colour.

    Their stored colour is arbitrary (often black); the bilinear warp mixes it into the card's
    edge, which would draw a dark fringe around the rounded corners.
    """
    seen = (alpha > 0).astype(np.float32)
    total = cv2.boxFilter(image.astype(np.float32) * seen[..., None], -1, (5, 5), normalize=False)
    weight = cv2.boxFilter(seen, -1, (5, 5), normalize=False)
    filled = total / np.maximum(weight, 1e-6)[..., None]
    out = image.copy()
    hole = (alpha == 0) & (weight > 0)
    out[hole] = np.clip(filled[hole] + 0.5, 0, 255).astype(np.uint8)
    return out


def _read_face(path: Path, svg_px_per_mm: float) -> np.ndarray:
    if path.suffix.lower() == ".svg":
        return render_svg(path.read_text(encoding="utf-8", errors="replace"), svg_px_per_mm, path)
    pixels = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise CardprepError(f"{path}: cannot be read as an image")
    return pixels


def render_svg(svg: str, px_per_mm: float, path: Path) -> np.ndarray:
    """An SVG card face as BGRA at ``px_per_mm``, its canvas stretched to the card's exact size."""
    try:
        import resvg_py  # optional: only SVG faces need it
    except ImportError:
        raise CardprepError(f"{path}: SVG faces need the optional renderer resvg-py "
                            "(pip install 'cardprep[svg]'), or give PNG files") from None
    width, height = int(round(CARD_WIDTH_MM * px_per_mm)), int(round(CARD_HEIGHT_MM * px_per_mm))
    try:
        # dpi=96: resvg-py's default of 0 makes sizes given in inches come out as nothing.
        png = resvg_py.svg_to_bytes(svg_string=svg, width=width, dpi=96)
    except ValueError as error:
        raise CardprepError(f"{path}: cannot be rendered ({error})") from None
    rgba = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)  # BGRA, straight alpha
    # The canvas ends mid-pixel when its height is no whole number of pixels: map its exact
    # extent onto the card, on premultiplied colour so that no edge darkens.
    scale_y = height / (width * svg_aspect(svg, path))
    alpha = rgba[..., 3:].astype(np.float32) / 255.0
    premultiplied = np.concatenate([rgba[..., :3] * alpha, alpha * 255.0], axis=2)
    warped = cv2.warpAffine(premultiplied, np.float64([[1, 0, 0], [0, scale_y, 0.5 * scale_y - 0.5]]),
                            (width, height), flags=cv2.INTER_LINEAR)
    cover = warped[..., 3:] / 255.0
    colour = warped[..., :3] / np.maximum(cover, 1e-6)
    return np.clip(np.concatenate([colour, warped[..., 3:]], axis=2) + 0.5, 0, 255).astype(np.uint8)


def svg_aspect(svg: str, path: Path | str = "SVG") -> float:
    """Height over width of an SVG's canvas, from its viewBox or else its width and height."""
    root = re.search(r"<svg\b[^>]*>", svg)
    box = re.search(r'viewBox="([^"]+)"', root.group(0)) if root else None
    if box:
        _, _, w, h = (float(v) for v in box.group(1).replace(",", " ").split())
        return h / w
    sizes = [re.search(rf'\b{name}="([0-9.]+)', root.group(0)) if root else None for name in ("width", "height")]
    if None in sizes:
        raise CardprepError(f"{path}: an SVG with neither a viewBox nor a width and height")
    return float(sizes[1].group(1)) / float(sizes[0].group(1))

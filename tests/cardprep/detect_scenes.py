"""Photos of one card, with its exact corners, in the situations card detection must survive.

The simulator (``cardprep.sim``) shoots pairs under a careful, steady setup; detection also
meets what it does not draw: the real designs in tests/fixtures/decks (dark outline strokes,
face art up to the edge), white cloth, a white plate and strip beside the card, glare, a hard
shadow across the card, a card partly out of frame, two cards. Every photo here is one known
homography of a card texture over a table, so the corners are exact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cardprep import geometry
from cardprep.sim import BuiltInDeck, CardImage, Deck, Design, Suit, SurfaceKind, load_deck, make_surface
from cardprep.sim.surfaces import fractal_noise
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

DECKS = Path(__file__).resolve().parents[1] / "fixtures" / "decks"
DESIGNS = ("builtin", "aguilar", "bellot", "geaxgx", "kennard", "kennard-bigindex")
TABLES = tuple(kind.value for kind in SurfaceKind) + ("white-cloth", "leather")
CARD_CORNERS_MM = np.array([[0.0, 0.0], [CARD_WIDTH_MM, 0.0], [CARD_WIDTH_MM, CARD_HEIGHT_MM], [0.0, CARD_HEIGHT_MM]])


@dataclass(frozen=True)
class Scene:
    """What one photo shows; the same scene and seed give the same pixels."""

    design: str = "builtin"  # one of DESIGNS, or another of the built-in deck's designs
    rank: str = "7"
    suit: str = "clubs"
    size: tuple[int, int] = (1024, 768)  # width, height
    table: str = "felt"  # one of TABLES
    card_share: float = 0.55  # card long side / photo short side
    glare: bool = False  # a bright specular patch on the card
    shadow: bool = False  # a hard-edged shadow (a hand, a phone) across card and table
    white_object: bool = False  # a white plate and a white strip beside the card
    second_card: bool = False
    out_of_frame: bool = False  # a corner of the card beyond the photo's right edge
    seed: int = 0


@functools.cache
def deck(design: str) -> Deck:
    """A design by name: "builtin" (the classic built-in deck), one of the built-in deck's other
    designs ("framed", "dark-faces", ...) or a folder of tests/fixtures/decks."""
    if design == "builtin":
        return BuiltInDeck()
    if design in {d.value for d in Design}:
        return BuiltInDeck(Design(design))
    return load_deck(DECKS / design)


def render(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """The photo (BGR uint8) and the card's corners in it, TL TR BR BL of the card's own frame."""
    rng = np.random.default_rng(scene.seed)
    width, height = scene.size
    px_per_mm = scene.card_share * min(width, height) / CARD_HEIGHT_MM
    photo = _table(scene.table, (height, width), rng, px_per_mm)
    poses = _poses(scene, rng, px_per_mm)
    ranks = [scene.rank, "K" if scene.rank != "K" else "2"][:len(poses)]
    cards = [deck(scene.design).card(rank, Suit(scene.suit), px_per_mm=1.1 * px_per_mm) for rank in ranks]
    coverages = [_lay_card(photo, card, pose, rng) for card, pose in zip(cards, poses)]
    corners = geometry.apply_homography(poses[0], CARD_CORNERS_MM)
    if scene.white_object:
        _white_objects(photo, corners, rng)
    if scene.glare:
        _glare(photo, coverages[0], corners, rng)
    if scene.shadow:
        _hard_shadow(photo, corners, rng)
    return _camera(photo, rng), corners


def _poses(scene: Scene, rng: np.random.Generator, px_per_mm: float) -> list[np.ndarray]:
    """photo-from-card homographies: the card (and a second one) turned, tilted and placed."""
    width, height = scene.size
    size = np.array([width, height], np.float64)
    count = 2 if scene.second_card else 1
    while True:
        poses, all_corners = [], []
        for index in range(count):
            spot = 0.5 * size + rng.uniform(-0.08, 0.08, 2) * size
            if count == 2:
                along = 0 if width >= height else 1
                spot[along] = size[along] * (0.27 if index == 0 else 0.73)
            angle = rng.uniform(-30, 30) + (90 if rng.random() < 0.3 else 0)
            scale = px_per_mm * (0.62 if count == 2 else 1.0)
            tilt = np.eye(3)
            tilt[2, :2] = rng.uniform(-1.5e-3, 1.5e-3, 2)  # per mm from the centre: up to ~7% foreshortening
            pose = (geometry.translation(*spot) @ geometry.rotation(angle) @ geometry.scaling(scale) @ tilt
                    @ geometry.translation(-CARD_WIDTH_MM / 2, -CARD_HEIGHT_MM / 2))
            poses.append(geometry.normalized(pose))
            all_corners.append(geometry.apply_homography(pose, CARD_CORNERS_MM))
        if scene.out_of_frame:
            # Slide right until a third of the card's width is beyond the frame.
            shift = width - 1 - all_corners[0][:, 0].max() + 0.35 * px_per_mm * CARD_WIDTH_MM
            poses[0] = geometry.translation(shift, 0.0) @ poses[0]
            return poses
        margin = 0.04 * min(width, height)
        inside = all(np.all(c >= margin) and np.all(c <= size - 1 - margin) for c in all_corners)
        if inside:
            return poses


def _table(kind: str, shape: tuple[int, int], rng: np.random.Generator, px_per_mm: float) -> np.ndarray:
    """A float32 BGR table texture: the simulator's surfaces, white cloth or black leather."""
    if kind in {k.value for k in SurfaceKind}:
        return make_surface(SurfaceKind(kind), shape, rng, px_per_mm=px_per_mm)
    wear = fractal_noise(shape, rng, cell_px=40 * px_per_mm, octaves=3)
    grain = fractal_noise(shape, rng, cell_px=0.8 * px_per_mm, octaves=2)
    if kind == "white-cloth":
        level = rng.uniform(205, 228) * (1.0 + 0.03 * wear + 0.04 * grain)
        return level[..., None] * np.asarray((0.97, 0.99, 1.0), np.float32)
    level = rng.uniform(22, 38) * (1.0 + 0.15 * wear + 0.25 * grain)
    return np.repeat(level[..., None], 3, axis=2).astype(np.float32)


def _lay_card(photo: np.ndarray, card: CardImage, photo_from_card: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blend the card into ``photo`` in place, with its soft drop shadow; returns its coverage."""
    height, width = photo.shape[:2]
    photo_from_tex = photo_from_card @ np.linalg.inv(card.tex_from_mm())
    coverage = cv2.warpPerspective(card.alpha, photo_from_tex, (width, height), flags=cv2.INTER_LINEAR)
    coverage = coverage.astype(np.float32) / 255.0
    reach = 0.004 * max(width, height)
    shadow = cv2.GaussianBlur(cv2.warpAffine(coverage, np.float64([[1, 0, reach], [0, 1, 2 * reach]]), (width, height)),
                              (0, 0), 2 * reach)
    photo *= (1.0 - rng.uniform(0.2, 0.4) * shadow)[..., None]
    texture = cv2.warpPerspective(card.image, photo_from_tex, (width, height), flags=cv2.INTER_LINEAR)
    photo[:] = texture * coverage[..., None] + photo * (1.0 - coverage[..., None])
    return coverage


def _white_objects(photo: np.ndarray, corners: np.ndarray, rng: np.random.Generator) -> None:
    """A white plate (a disc cut by the frame) and a white strip on the side away from the card."""
    height, width = photo.shape[:2]
    card_x = corners[:, 0]
    left = card_x.mean() > width / 2  # put them on the emptier side
    gap = 0.04 * min(width, height)
    edge = card_x.min() - gap if left else card_x.max() + gap
    room = edge if left else width - edge
    white = tuple(float(v) for v in rng.uniform(228, 245, 3))
    radius = int(0.35 * height)
    centre_x = int(edge - 0.25 * room - radius) if left else int(edge + 0.25 * room + radius)
    cv2.circle(photo, (centre_x, int(0.35 * height)), radius, white, -1, cv2.LINE_AA)
    strip_w = max(int(0.15 * room), 3)
    x0 = int(edge - 0.1 * room - strip_w) if left else int(edge + 0.1 * room)
    cv2.rectangle(photo, (x0, int(0.2 * height)), (x0 + strip_w, int(0.9 * height)), white, -1, cv2.LINE_AA)


def _glare(photo: np.ndarray, coverage: np.ndarray, corners: np.ndarray, rng: np.random.Generator) -> None:
    """A specular patch on the card: a bright blob, saturating at its core."""
    height, width = photo.shape[:2]
    at = corners.mean(axis=0) + rng.uniform(-0.25, 0.25, 2) * (corners.max(axis=0) - corners.min(axis=0))
    sigma = 0.12 * geometry.long_side(corners)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    blob = np.exp(-((xx - at[0]) ** 2 + (yy - at[1]) ** 2) / (2 * sigma**2))
    photo += (rng.uniform(150, 220) * blob * coverage)[..., None]


def _hard_shadow(photo: np.ndarray, corners: np.ndarray, rng: np.random.Generator) -> None:
    """A shadow whose edge crosses the card: one side of a line darkened, the edge a little soft."""
    height, width = photo.shape[:2]
    through = corners.mean(axis=0) + rng.uniform(-0.2, 0.2, 2) * geometry.long_side(corners)
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    side = (xx - through[0]) * np.cos(angle) + (yy - through[1]) * np.sin(angle)
    softness = 0.006 * max(width, height)
    shade = 1.0 / (1.0 + np.exp(-side / softness))
    photo *= (1.0 - rng.uniform(0.4, 0.6) * shade)[..., None]


def _camera(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vignette, exposure, lens blur, sensor noise and JPEG: the uint8 photo."""
    height, width = photo.shape[:2]
    yy, xx = np.ogrid[0:height, 0:width]
    r2 = ((xx - width / 2) ** 2 + (yy - height / 2) ** 2) / ((width / 2) ** 2 + (height / 2) ** 2)
    photo *= ((1.0 - rng.uniform(0.08, 0.25) * r2) * rng.uniform(0.85, 1.05)).astype(np.float32)[..., None]
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 0.8) * max(1.0, max(width, height) / 1600))
    photo += rng.standard_normal(photo.shape, dtype=np.float32) * np.float32(rng.uniform(1.0, 3.0))
    photo = np.clip(photo + 0.5, 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 92])[1], cv2.IMREAD_COLOR)


def corner_errors(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The four corner distances (px) between two outlines, for the start of ``truth`` that fits best."""
    options = [np.linalg.norm(found - np.roll(truth, k, axis=0), axis=1) for k in range(4)]
    return min(options, key=lambda errors: errors.max())

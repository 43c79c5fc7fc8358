"""A simulated video: a club card sliding, and slightly turning, across a table.

The clip is what a trained model is shown at the end of the card trick, and it is made from the
photo simulator's own pieces (the deck, the table surfaces, the pinhole camera, the photo
rendering), so its frames look like the photos the model learnt from. The camera holds still
and keeps its light, exposure and sensor look for the whole clip, as a phone on a stand would;
only the card moves. The card is about as large in the frame as in align's photo frame (its
long side ~60% of the short side) and stays inside the frame's centred square, the part
``cardtrain predict`` and ``cardprep frames`` keep.

Drawing and rendering are apart: :func:`plan_clip` draws every random choice from the seed,
:func:`render_clip` turns a plan into frames, :func:`simulate_video` writes them to an mp4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardprep import geometry
from cardprep.common.atomic import make_output_dir
from cardprep.common.video import VideoWriter
from cardprep.errors import CardprepError
from cardprep.sim.camera import CARD_CENTRE_MM, Camera, card_scale
from cardprep.sim.deck import BuiltInDeck, Deck, Suit
from cardprep.sim.render import TableSurface, render_photo
from cardprep.sim.surfaces import SurfaceKind
from cardprep.spec import CARD_HEIGHT_MM, RANKS

SLIDE = 0.13  # the card's centre travels +-SLIDE x the short side across the frame
CARD_FRACTION = (0.56, 0.64)  # card long side / frame short side (align's photo frame: ~0.7)
MIN_SIDE = 64


@dataclass(frozen=True)
class Clip:
    """Every random choice of a clip: the camera, the table, the card and its pose in each frame."""

    size: tuple[int, int]  # frame width, height
    rank: str
    surface: SurfaceKind
    photo_from_table: np.ndarray  # 3x3, table mm -> frame pixels
    photo_from_card: tuple[np.ndarray, ...]  # one 3x3 per frame, card mm -> frame pixels
    surface_seed: np.random.SeedSequence  # the table texture
    look_seed: np.random.SeedSequence  # light, exposure, blur, noise: the same in every frame


@dataclass(frozen=True)
class VideoSummary:
    out: Path
    deck: str
    frames: int
    size: tuple[int, int]
    fps: float
    rank: str
    surface: SurfaceKind


def plan_clip(*, frames: int, size: tuple[int, int], seed: int, rank: str = "7") -> Clip:
    """Draw a clip from ``seed``: the same arguments give the same clip."""
    _check(frames, size, rank)
    plan_seed, surface_seed, look_seed = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(plan_seed)
    camera = _camera(rng, size)
    surface = list(SurfaceKind)[rng.integers(len(SurfaceKind))]
    photo_from_table = camera.photo_from_table()
    path = _card_path(rng, photo_from_table, size, frames)
    poses = tuple(photo_from_table @ table_from_card for table_from_card in path)
    return Clip(size, rank, surface, photo_from_table, poses, surface_seed, look_seed)


def render_clip(clip: Clip, deck: Deck = BuiltInDeck()) -> Iterator[np.ndarray]:
    """The clip's frames with the card of ``deck``, (H, W, 3) uint8 BGR, one at a time."""
    surface = TableSurface.for_views(clip.surface, (clip.photo_from_table,), clip.size,
                                      np.random.default_rng(clip.surface_seed))
    # One texture for the whole clip, sharp enough for the pose where the card looks largest.
    card = deck.card(clip.rank, Suit.CLUBS, px_per_mm=max(card_scale(h) for h in clip.photo_from_card))
    for photo_from_card in clip.photo_from_card:
        look = np.random.default_rng(clip.look_seed)  # re-seeded: steady light and sensor, no flicker
        yield render_photo(surface, clip.photo_from_table, [(card, photo_from_card)], clip.size, look)


def simulate_video(out_path: str | Path, *, frames: int = 48, size: tuple[int, int] = (384, 384), seed: int = 0,
                   rank: str = "7", fps: float = 12.0, deck: Deck = BuiltInDeck(),
                   on_frame: Callable[[int], None] | None = None) -> VideoSummary:
    """Write a clip of the ``rank`` of clubs of ``deck`` sliding across a table to ``out_path`` (.mp4, 'mp4v').

    ``on_frame(index)`` is told each frame written. The file appears whole or not at all.
    """
    out = Path(out_path)
    if out.suffix.lower() != ".mp4":
        raise CardprepError(f"{out}: the video is written as mp4; give a path ending in .mp4")
    if fps <= 0:
        raise CardprepError(f"--fps must be positive, got {fps}")
    clip = plan_clip(frames=frames, size=size, seed=seed, rank=rank)
    missing = deck.missing([(rank, Suit.CLUBS)])
    if missing:
        raise CardprepError(f"deck {deck.name}: no face for {missing[0]}")
    make_output_dir(out.parent)
    with VideoWriter(out, fps) as video:  # 'mp4v', written under a temporary name, then renamed
        for index, frame in enumerate(render_clip(clip)):
            video.write(frame)
            if on_frame:
                on_frame(index)
    return VideoSummary(out, deck.name, frames, size, fps, rank, clip.surface)


def _check(frames: int, size: tuple[int, int], rank: str) -> None:
    if frames < 1:
        raise CardprepError(f"--frames must be at least 1, got {frames}")
    if not (MIN_SIDE <= min(size) and max(size) <= 4096):
        raise CardprepError(f"--size must be between {MIN_SIDE} and 4096 px a side, got {size[0]}x{size[1]}")
    if rank not in RANKS:
        raise CardprepError(f"--rank must be one of {', '.join(RANKS)}, got {rank!r}")


def _camera(rng: np.random.Generator, size: tuple[int, int]) -> Camera:
    """A camera above the table, slightly tilted, its optical centre on the table's origin."""
    width, height = size
    focal = max(width, height) * rng.uniform(0.8, 1.1)
    distance = focal * CARD_HEIGHT_MM / (rng.uniform(*CARD_FRACTION) * min(width, height))
    tilt = (rng.uniform(-8.0, 8.0), rng.uniform(-6.0, 6.0), rng.uniform(-10.0, 10.0))
    centre = (width / 2 - 0.5, height / 2 - 0.5)
    x, y, _ = -distance * Camera(focal, centre, (0.0, 0.0, -distance), tilt).ray(np.array(centre))
    return Camera(focal, centre, (float(x), float(y), -distance), tilt)


def _card_path(rng: np.random.Generator, photo_from_table: np.ndarray, size: tuple[int, int],
               frames: int) -> list[np.ndarray]:
    """table-from-card for each frame: the card slides across the frame's centred square, turning a little.

    The path is drawn in the frame (left to right or back, with some drift up or down), then
    carried onto the table, so the card stays where the model's centre crop looks whatever
    the camera's tilt. It eases in and out, as a hand pushes a card.
    """
    width, height = size
    side = min(width, height)
    direction = rng.choice((-1.0, 1.0))
    start = np.array([width / 2 - direction * SLIDE * side, height / 2 + rng.uniform(-0.04, 0.04) * side])
    end = np.array([width / 2 + direction * SLIDE * side, height / 2 + rng.uniform(-0.04, 0.04) * side])
    angle, turn = rng.uniform(-15.0, 15.0), rng.uniform(6.0, 12.0) * rng.choice((-1.0, 1.0))
    table_from_photo = np.linalg.inv(photo_from_table)
    poses = []
    for t in np.linspace(0.0, 1.0, frames):
        eased = t * t * (3.0 - 2.0 * t)
        x, y = geometry.apply_homography(table_from_photo, start + eased * (end - start))[0]
        poses.append(geometry.translation(x, y) @ geometry.rotation(angle + eased * turn)
                     @ geometry.translation(-CARD_CENTRE_MM[0], -CARD_CENTRE_MM[1]))
    return poses

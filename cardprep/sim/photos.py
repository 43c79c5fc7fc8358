"""The photo simulator: club/heart card photo pairs with exact ground truth.

The scene is a table plane (millimetres) seen by a pinhole camera. Photo A shows the club
card of a deck (the built-in one in any of its designs, or one loaded from card faces); for
photo B the heart card is laid by hand on the same spot (a placement error: shift,
turn, slight scale and perspective, for odd ranks sometimes a half turn) and, in some pairs,
the camera moves a little too. Everything a photo adds (drop shadow, vignette, a soft shadow,
exposure, white balance, blur, noise, JPEG, an EXIF orientation tag) is drawn independently
for A and B. Because every step is a known homography, the truth ``a_from_b`` is exact.

Truth convention (the same as the ``homography`` of report.csv, Contract 2): ``a_from_b``
maps pixel coordinates of photo B as displayed (EXIF applied) to photo A such that card
content corresponds: B's card corner i lands on A's card corner i. If B's card lay upside
down, the half turn is part of it.
"""

from __future__ import annotations

import csv
import io

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

from cardprep import geometry
from cardprep.common.atomic import atomic_write_bytes, atomic_write_text, make_output_dir
from cardprep.common.images import encode_image, stored_for_exif, with_exif_orientation
from cardprep.common.parallel import ordered_map, resolve_workers
from cardprep.errors import CardprepError
from cardprep.sim.camera import CARD_CENTRE_MM, CARD_CORNERS_MM, Camera, card_scale
from cardprep.sim.deck import BuiltInDeck, Deck, Suit
from cardprep.sim.render import TableSurface, render_photo
from cardprep.sim.surfaces import SurfaceKind
from cardprep.spec import CARD_HEIGHT_MM, ODD_RANKS, RANKS
TRUTH_COLUMNS = ("pair", "rank", "orientation", "homography", "corners_a", "corners_b",
                 "camera_moved", "exif_a", "exif_b", "surface", "width", "height")


class TurnedRanks(str, Enum):
    """Which ranks the simulator may lay upside down in B."""

    ODD = "odd"  # A 3 5 7 9: the turn shows on nearly every deck
    ALL = "all"  # also the even ranks: one-way 6s and 8s, and cards that look the same turned

    @property
    def ranks(self) -> tuple[str, ...]:
        return ODD_RANKS if self is TurnedRanks.ODD else RANKS

    def __str__(self) -> str:  # as typed on a command line
        return self.value


@dataclass(frozen=True)
class SimConfig:
    """What a simulated set looks like. Defaults match a careful but hand-held shoot."""

    size: tuple[int, int] = (1600, 1200)  # displayed photo width, height
    upside_down: float = 0.4  # fraction of the cards of ``turned_ranks`` laid upside down in B
    turned_ranks: TurnedRanks = TurnedRanks.ODD
    shake: float = 0.25  # fraction of pairs where the camera moved between A and B as well
    exif: float = 0.0  # fraction of photos stored sideways with an EXIF orientation tag
    max_shift_mm: float = 5.0  # hand placement error: ~20 px at 1600x1200
    max_turn_deg: float = 4.0
    max_scale: float = 0.015
    card_fraction: tuple[float, float] = (0.42, 0.6)  # card long side / photo short side
    jpeg_quality: tuple[int, int] = (85, 95)

    def __post_init__(self) -> None:
        width, height = self.size
        if not (320 <= min(width, height) and width * height <= 50_000_000):
            raise CardprepError(f"photo size must be between 320 px (short side) and 50 MP, got {width}x{height}")
        for name in ("upside_down", "shake", "exif"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise CardprepError(f"{name} is a fraction between 0 and 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class SimPair:
    """One simulated pair, photos as displayed (EXIF applied), with its truth."""

    stem: str
    rank: str
    orientation: int  # 0, or 180 when B's card lay upside down
    photo_a: np.ndarray
    photo_b: np.ndarray
    a_from_b: np.ndarray
    corners_a: np.ndarray  # (4, 2): A's card corners, TL TR BR BL of its own frame
    corners_b: np.ndarray  # (4, 2): B's card corners, TL TR BR BL of B's own frame
    camera_moved: bool
    surface: SurfaceKind
    exif_a: int = 1  # EXIF orientation the photo is stored with (1: none)
    exif_b: int = 1
    jpeg_quality: tuple[int, int] = field(default=(95, 95))


@dataclass(frozen=True)
class SimSummary:
    out: Path
    deck: str
    pairs: int
    upside_down: int
    camera_moved: int
    exif_tagged: int


def simulate_pair(rank: str, rng: np.random.Generator, config: SimConfig = SimConfig(), *,
                  stem: str | None = None, upside_down: bool = False, deck: Deck = BuiltInDeck()) -> SimPair:
    """Render one A (clubs) / B (hearts) photo pair of ``rank`` of ``deck`` with its exact truth."""
    width, height = config.size
    camera_a, table_from_card_a = _random_view(rng, config)
    camera_moved = bool(rng.random() < config.shake)
    camera_b = camera_a.shaken(rng) if camera_moved else camera_a
    photo_a_from_table, photo_b_from_table = camera_a.photo_from_table(), camera_b.photo_from_table()

    table_from_card_b = table_from_card_a @ _placement_error(rng, config)
    if upside_down:
        table_from_card_b = table_from_card_b @ geometry.rotation(180.0, CARD_CENTRE_MM)
    photo_a_from_card = photo_a_from_table @ table_from_card_a
    photo_b_from_card = photo_b_from_table @ table_from_card_b

    surface_kind = list(SurfaceKind)[rng.integers(len(SurfaceKind))]
    surface = TableSurface.for_views(surface_kind, (photo_a_from_table, photo_b_from_table), (width, height), rng)
    photos = []
    for suit, photo_from_table, photo_from_card in ((Suit.CLUBS, photo_a_from_table, photo_a_from_card),
                                                    (Suit.HEARTS, photo_b_from_table, photo_b_from_card)):
        card = deck.card(rank, suit, px_per_mm=card_scale(photo_from_card))
        photos.append(render_photo(surface, photo_from_table, [(card, photo_from_card)], (width, height), rng))
    quality = tuple(int(q) for q in rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1, size=2))
    exif = tuple(int(rng.choice((6, 8, 3))) if rng.random() < config.exif else 1 for _ in range(2))

    return SimPair(
        stem=stem or rank, rank=rank, orientation=180 if upside_down else 0,
        photo_a=photos[0], photo_b=photos[1],
        a_from_b=geometry.normalized(photo_a_from_card @ np.linalg.inv(photo_b_from_card)),
        corners_a=geometry.apply_homography(photo_a_from_card, CARD_CORNERS_MM),
        corners_b=geometry.apply_homography(photo_b_from_card, CARD_CORNERS_MM),
        camera_moved=camera_moved, surface=surface_kind,
        exif_a=exif[0], exif_b=exif[1], jpeg_quality=(quality[0], quality[1]),
    )


def _random_view(rng: np.random.Generator, config: SimConfig) -> tuple[Camera, np.ndarray]:
    """A camera and the club card's pose on the table (table-from-card), the card well inside the frame.

    The card lands at a drawn point of the photo; a view that would put a corner within 6% of
    the frame's edge (no room for B's placement error) is drawn again.
    """
    width, height = config.size
    margin = 0.06 * min(width, height)
    while True:
        focal = max(width, height) * rng.uniform(0.8, 1.1)
        distance = focal * CARD_HEIGHT_MM / (rng.uniform(*config.card_fraction) * min(width, height))
        tilt = (rng.uniform(-14.0, 14.0), rng.uniform(-10.0, 10.0), rng.uniform(-12.0, 12.0))
        target = (0.5 + rng.uniform(-0.08, 0.08, size=2)) * (width, height)
        camera = Camera(focal, (width / 2 - 0.5, height / 2 - 0.5), (0.0, 0.0, -distance), tilt)
        # Slide the camera so that the ray through `target` meets the table at the origin.
        x, y, _ = -distance * camera.ray(target)
        camera = Camera(focal, camera.centre, (float(x), float(y), -distance), tilt)
        table_from_card = geometry.rotation(rng.uniform(-20.0, 20.0)) @ geometry.translation(
            -CARD_CENTRE_MM[0], -CARD_CENTRE_MM[1])
        corners = geometry.apply_homography(camera.photo_from_table() @ table_from_card, CARD_CORNERS_MM)
        if np.all(corners >= margin) and np.all(corners <= np.array([width, height]) - 1 - margin):
            return camera, table_from_card


def _placement_error(rng: np.random.Generator, config: SimConfig) -> np.ndarray:
    """card-A-frame-from-card-B-frame: how far off the hand laid the second card (mm)."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    shift = config.max_shift_mm * rng.uniform(0.2, 1.0) * np.array([np.cos(angle), np.sin(angle)])
    scale = 1.0 + rng.uniform(-config.max_scale, config.max_scale)
    perspective = np.eye(3)
    perspective[2, :2] = rng.uniform(-2e-4, 2e-4, size=2)  # the card not lying quite flat
    cx, cy = CARD_CENTRE_MM
    about_centre = (geometry.rotation(rng.uniform(-config.max_turn_deg, config.max_turn_deg))
                    @ geometry.scaling(scale) @ perspective)
    return geometry.translation(cx + shift[0], cy + shift[1]) @ about_centre @ geometry.translation(-cx, -cy)


def pair_jpegs(pair: SimPair) -> tuple[bytes, bytes]:
    """The pair's photos as JPEG files: each at its quality, stored sideways with a tag if drawn so."""
    files = []
    for photo, tag, quality in ((pair.photo_a, pair.exif_a, pair.jpeg_quality[0]),
                                (pair.photo_b, pair.exif_b, pair.jpeg_quality[1])):
        data = encode_image(stored_for_exif(photo, tag), ".jpg", jpeg_quality=quality)
        files.append(with_exif_orientation(data, tag) if tag != 1 else data)
    return files[0], files[1]


def truth_row(pair: SimPair) -> dict[str, str]:
    height, width = pair.photo_a.shape[:2]
    return {
        "pair": pair.stem, "rank": pair.rank, "orientation": str(pair.orientation),
        "homography": geometry.format_floats(pair.a_from_b),
        "corners_a": geometry.format_floats(pair.corners_a), "corners_b": geometry.format_floats(pair.corners_b),
        "camera_moved": str(pair.camera_moved).lower(), "exif_a": str(pair.exif_a), "exif_b": str(pair.exif_b),
        "surface": pair.surface.value, "width": str(width), "height": str(height),
    }


def deck_plan(pairs: int, seed: int, upside_down: float,
              turned_ranks: TurnedRanks = TurnedRanks.ODD) -> list[tuple[str, str, bool]]:
    """(stem, rank, upside down) for each pair: ranks cycle A..K; of the pairs of ``turned_ranks``,
    exactly round(fraction x their number) flipped."""
    ranks = [RANKS[i % len(RANKS)] for i in range(pairs)]
    width = max(2, len(str(pairs - 1)))
    may_turn = [i for i, rank in enumerate(ranks) if rank in turned_ranks.ranks]
    chooser = np.random.default_rng(np.random.SeedSequence([seed, 0xF11B]))
    flipped = set(chooser.permutation(may_turn)[: int(round(upside_down * len(may_turn)))].tolist())
    return [(f"{i:0{width}d}-{rank}", rank, i in flipped) for i, rank in enumerate(ranks)]


def simulate_set(out: str | Path, *, pairs: int = 13, seed: int = 0, config: SimConfig = SimConfig(),
                 deck: Deck = BuiltInDeck(), workers: int | None = None,
                 on_pair_done: Callable[[str], None] | None = None) -> SimSummary:
    """Write ``pairs`` simulated pairs of ``deck`` to OUT/A/<stem>.jpg, OUT/B/<stem>.jpg and OUT/truth.csv.

    The same ``seed``, config and deck give byte-identical files on one machine, whatever the
    number of workers: each pair draws from its own child of the seed. OUT must be new, empty,
    or an earlier simulator output (one holding truth.csv), which is then replaced file by file.
    """
    if pairs < 1:
        raise CardprepError(f"--pairs must be at least 1, got {pairs}")
    if seed < 0:
        raise CardprepError(f"--seed must be 0 or more, got {seed}")
    plan = deck_plan(pairs, seed, config.upside_down, config.turned_ranks)
    missing = deck.missing((rank, suit) for _, rank, _ in plan for suit in Suit)
    if missing:
        raise CardprepError(f"deck {deck.name}: no face for {', '.join(missing)} (needed by {pairs} pairs)")
    out = _prepare_out(Path(out))
    seeds = np.random.SeedSequence(seed).spawn(pairs)
    jobs = [(out, stem, rank, flip, child, config, deck) for (stem, rank, flip), child in zip(plan, seeds)]
    rows = []
    for row in ordered_map(_simulate_and_write, jobs, resolve_workers(workers, pairs)):
        rows.append(row)
        if on_pair_done:
            on_pair_done(row["pair"])
    _write_truth(out / "truth.csv", rows)
    return SimSummary(out, deck.name, pairs, sum(r["orientation"] == "180" for r in rows),
                      sum(r["camera_moved"] == "true" for r in rows),
                      sum(r["exif_a"] != "1" for r in rows) + sum(r["exif_b"] != "1" for r in rows))


def _simulate_and_write(job: tuple) -> dict[str, str]:
    out, stem, rank, flip, child, config, deck = job
    pair = simulate_pair(rank, np.random.default_rng(child), config, stem=stem, upside_down=flip, deck=deck)
    jpeg_a, jpeg_b = pair_jpegs(pair)
    atomic_write_bytes(out / "A" / f"{stem}.jpg", jpeg_a)
    atomic_write_bytes(out / "B" / f"{stem}.jpg", jpeg_b)
    return truth_row(pair)


def _prepare_out(out: Path) -> Path:
    if out.exists() and any(out.iterdir()) and not (out / "truth.csv").is_file():
        raise CardprepError(f"{out}: exists, is not empty and is not a simulator output (no truth.csv); "
                            "choose a new folder")
    for sub in (out, out / "A", out / "B"):
        make_output_dir(sub)
    for stale in [*(out / "A").glob("*.jpg"), *(out / "B").glob("*.jpg")]:
        stale.unlink()
    return out


def _write_truth(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, TRUTH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["pair"]))
    atomic_write_text(path, buffer.getvalue())

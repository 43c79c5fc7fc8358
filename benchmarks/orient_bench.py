"""How often B's orientation is decided right, per card design, against the pip-skew baseline.

For each design (the built-in deck, and every folder of ``tests/fixtures/decks`` holding
``<rank>-clubs.png`` and ``<rank>-hearts.png``) and each rank A-K, ``--pairs`` pairs are made
the way align sees them: the club card as A and the heart card as B, each rectified into the
card frame with realistic nuisance drawn per pair from a seeded generator (outline
misregistration of 0.5-1.5 px per corner, which is also perspective slack; a photo 1-2.2 times
coarser than the frame; blur; a light gradient; a colour cast; noise; JPEG), and B turned by a
half turn with probability one half. Then ``cardprep.orient.decide_orientation`` and the
baseline (``cards.half_turn_fits_better``, the pips' row skew) decide on the same images.

Truth of "matters": odd ranks change under a half turn; 6 and 8 do where the design's middle
side pips all point one way (``ONE_WAY_SIDE_PIPS``, read from the rendered designs by eye);
2, 4, 10 and the double-headed faces look the same turned. Per design, of the pairs where it
matters: right (the turn is the truth, with confidence), false flips (turned but upright),
missed flips (upside down, kept with confidence), uncertain (flagged: counts as not right);
and how many pairs the decision called "does not matter" (right only if truth agrees), and
false alarms: pairs flagged uncertain although the card looks the same turned.

    .venv/bin/python benchmarks/orient_bench.py                  # 8 pairs per rank and design
    .venv/bin/python benchmarks/orient_bench.py --pairs 40 --seed 1
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cardprep import cards, geometry
from cardprep.orient import decide_orientation
from cardprep.sim.deck import Suit, draw_card
from cardprep.spec import FACE_RANKS, ODD_RANKS, RANKS

DECKS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "decks"
BUILT_IN = "built-in"
ONE_WAY_SIDE_PIPS = {"aguilar": ("6", "8"), "bellot": ("6",), "kennard": ("6", "8"),
                     "kennard-bigindex": ("6", "8")}
PX_PER_MM = cards.PX_PER_MM


@dataclass
class Tally:
    pairs: int = 0
    matters: int = 0
    right: int = 0
    false_flips: int = 0
    missed_flips: int = 0
    uncertain: int = 0
    no_matter: int = 0
    no_matter_wrong: int = 0  # called "does not matter" on a card that changes when turned
    false_alarms: int = 0  # flagged uncertain on a card that looks the same turned
    base_right: int = 0
    base_false_flips: int = 0
    seconds: float = 0.0
    base_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


def load_faces(design: str) -> dict[tuple[str, str], np.ndarray]:
    """(rank, suit) -> BGRA face at 5 px/mm covering the card frame exactly."""
    faces = {}
    for rank in RANKS:
        for suit in ("clubs", "hearts"):
            if design == BUILT_IN:
                card = draw_card(rank, Suit(suit), px_per_mm=PX_PER_MM)
                faces[rank, suit] = np.dstack([card.image, card.alpha])
            else:
                image = cv2.imread(str(DECKS / design / f"{rank}-{suit}.png"), cv2.IMREAD_UNCHANGED)
                faces[rank, suit] = image if image.shape[2] == 4 else np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    return faces


def photographed(face: np.ndarray, rng: np.random.Generator, *, turned: bool) -> np.ndarray:
    """``face`` as align's rectified card would show it after a hand-held photo."""
    height, width = face.shape[:2]
    table = rng.uniform(20, 200, 3)
    alpha = face[..., 3:4].astype(np.float32) / 255
    image = face[..., :3] * alpha + table * (1 - alpha)
    if turned:
        image = image[::-1, ::-1]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64) - 0.5
    angle = rng.uniform(0, 2 * np.pi, 4)
    jitter = rng.uniform(0.5, 1.5, 4)[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    h = geometry.quad_homography(corners, corners + jitter)
    image = cv2.warpPerspective(image.astype(np.float32), h, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    coarse = rng.uniform(1.0, 2.2)
    small = cv2.resize(image, (round(width / coarse), round(height / coarse)), interpolation=cv2.INTER_AREA)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
    direction = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width]
    ramp = (np.cos(direction) * xs / width + np.sin(direction) * ys / height)
    light = 1.0 - rng.uniform(0, 0.4) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-9)
    image = image * light[..., None] * rng.uniform(0.85, 1.1, 3) + rng.normal(0, rng.uniform(1, 6), image.shape)
    ok, data = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 96))])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def truly_matters(design: str, rank: str) -> bool:
    return rank in ODD_RANKS or rank in ONE_WAY_SIDE_PIPS.get(design, ())


def run_design(design: str, pairs: int, seed: int) -> Tally:
    faces = load_faces(design)
    tally = Tally()
    for r, rank in enumerate(RANKS):
        for k in range(pairs):
            rng = np.random.default_rng([seed, zlib.crc32(design.encode()), r, k])
            turned = bool(rng.random() < 0.5)
            card_a = photographed(faces[rank, "clubs"], rng, turned=False)
            card_b = photographed(faces[rank, "hearts"], rng, turned=turned)
            tally.add(score(design, rank, turned, card_a, card_b))
    return tally


def score(design: str, rank: str, turned: bool, card_a: np.ndarray, card_b: np.ndarray) -> Tally:
    start = time.perf_counter()
    decision = decide_orientation(card_a, card_b)
    middle = time.perf_counter()
    baseline = cards.half_turn_fits_better(cards.read_face(card_a), cards.read_face(card_b))
    end = time.perf_counter()
    matters = truly_matters(design, rank)
    tally = Tally(pairs=1, seconds=middle - start, base_seconds=end - middle)
    tally.no_matter = int(not decision.matters)
    tally.no_matter_wrong = int(not decision.matters and matters)
    tally.false_alarms = int(decision.uncertain and not matters)
    if matters:
        tally.matters = 1
        tally.uncertain = int(decision.uncertain)
        tally.right = int(decision.matters and not decision.uncertain and decision.turn == turned)
        tally.false_flips = int(decision.turn and not turned)
        tally.missed_flips = int(turned and not decision.turn and not decision.uncertain)
        tally.base_right = int(baseline == turned)
        tally.base_false_flips = int(baseline and not turned)
    return tally


def designs(requested: list[str] | None) -> list[str]:
    found = [BUILT_IN] + sorted(p.name for p in DECKS.iterdir() if (p / "A-clubs.png").exists()) if DECKS.exists() else [BUILT_IN]
    return [d for d in found if not requested or d in requested]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=8, help="pairs per rank and design")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--designs", nargs="*", help="only these designs (default: all)")
    args = parser.parse_args()
    print(f"{'design':18} {'pairs':>5} {'matter':>6} {'right':>7} {'false':>5} {'missed':>6} {'uncert':>6} "
          f"{'no-mat':>6} {'nm-bad':>6} {'alarm':>5} {'ms/pair':>7} | {'baseline right':>14} {'false':>5} {'ms/pair':>7}")
    total, foreign = Tally(), Tally()
    for design in designs(args.designs):
        tally = run_design(design, args.pairs, args.seed)
        total.add(tally)
        if design != BUILT_IN:
            foreign.add(tally)
        print(row(design, tally))
    print(row("all", total))
    print(row("not drawn here", foreign))


def row(name: str, t: Tally) -> str:
    share = 100 * t.right / max(t.matters, 1)
    base = 100 * t.base_right / max(t.matters, 1)
    return (f"{name:18} {t.pairs:5d} {t.matters:6d} {share:6.1f}% {t.false_flips:5d} {t.missed_flips:6d} "
            f"{t.uncertain:6d} {t.no_matter:6d} {t.no_matter_wrong:6d} {t.false_alarms:5d} {1000 * t.seconds / max(t.pairs, 1):7.1f} | "
            f"{base:13.1f}% {t.base_false_flips:5d} {1000 * t.base_seconds / max(t.pairs, 1):7.1f}")


if __name__ == "__main__":
    main()

"""How often B's orientation is decided right, per card design, against the pip-skew baseline.

For each design (the built-in deck's designs, and every folder of ``tests/fixtures/decks``)
and each rank A-K, ``--pairs`` pairs are made the way align sees them: the club card as A and
the heart card as B, each rectified into the card frame with realistic nuisance drawn per
pair from a seeded generator (outline misregistration of 0.5-1.5 px per corner, which is
also perspective slack; a photo 1-2.2 times coarser than the frame; blur; a light gradient;
a colour cast; noise; JPEG), and B turned by a half turn with probability one half. Then
``cardprep.orient.decide_orientation`` and the baseline (align's rule before it: the pips'
row skew, ``skew_rule``) decide on the same images.

Truth of "matters": odd ranks change under a half turn; 6 and 8 do where the design's middle
side pips all point one way (the built-in style says; ``ONE_WAY_SIDE_PIPS`` for the others);
2, 4, 10 and the double-headed faces look the same turned. Per design, of the pairs where it
matters: right (the turn is the truth, with confidence), false flips (turned but upright),
missed flips (upside down, kept with confidence), uncertain (flagged: counts as not right),
the least confidence of a right answer (the margin over ``orient.CONFIDENT``);
and how many pairs the decision called "does not matter" (right only if truth agrees), and
false alarms: pairs flagged uncertain although the card looks the same turned.

Speed: CPU milliseconds per pair of each method (process time, so that the figure holds on a
shared machine), reading both faces included.

``--photos N``: end to end instead, on the simulator's photos of each design (its camera, tables
and light) through ``detect.find_card``, ``register.outline_homography`` and ``cards.rectify``.

    .venv/bin/python benchmarks/orient_bench.py                # 8 pairs per rank and design
    .venv/bin/python benchmarks/orient_bench.py --pairs 40 --seed 1
    .venv/bin/python benchmarks/orient_bench.py --severity 2   # where does it break?
    .venv/bin/python benchmarks/orient_bench.py --photos 4     # simulated photos, detection included
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
from cardprep.detect import CardNotFound, find_card
from cardprep.register import outline_homography
from cardprep.orient import decide_orientation
from cardprep.sim import STYLES, BuiltInDeck, Deck, Design, SimConfig, Suit, load_deck, simulate_pair
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM, ODD_RANKS, RANKS

DECKS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "decks"
# Read from the rendered designs by eye: whose 6 and 8 change under a half turn (Bellot's 8 is
# two columns of four, point-symmetric). The built-in designs say so in their style.
ONE_WAY_SIDE_PIPS = {"aguilar": ("6", "8"), "bellot": ("6",), "geaxgx": ("6", "8"), "kennard": ("6", "8"),
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
    least_confidence: float = 1.0  # of the right answers where it matters: the margin over CONFIDENT
    no_matter_wrong: int = 0  # called "does not matter" on a card that changes when turned
    false_alarms: int = 0  # flagged uncertain on a card that looks the same turned
    base_right: int = 0
    base_false_flips: int = 0
    seconds: float = 0.0
    base_seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            combine = min if name == "least_confidence" else lambda x, y: x + y
            setattr(self, name, combine(getattr(self, name), value))


def all_decks(folder_of_decks: Path = DECKS) -> list[tuple[Deck, tuple[str, ...]]]:
    """Every design (the built-in ones and the decks in ``folder_of_decks``) with the ranks 6
    and 8 among those that change under a half turn."""
    decks: list[tuple[Deck, tuple[str, ...]]] = [
        (BuiltInDeck(d), ("6", "8") if STYLES[d].side_pips_one_way else ()) for d in Design]
    if folder_of_decks.is_dir():
        for folder in sorted(p for p in folder_of_decks.iterdir() if p.is_dir()):
            decks.append((load_deck(folder), ONE_WAY_SIDE_PIPS.get(folder.name, ("6", "8"))))
    return decks


def load_faces(deck: Deck) -> dict[tuple[str, str], np.ndarray]:
    """(rank, suit) -> BGRA face at the rectified card's scale, covering the card frame exactly."""
    faces = {}
    size = (round(CARD_WIDTH_MM * PX_PER_MM), round(CARD_HEIGHT_MM * PX_PER_MM))
    for rank in RANKS:
        for suit in Suit:
            card = deck.card(rank, suit, px_per_mm=PX_PER_MM)
            bgra = cv2.resize(np.dstack([card.image, card.alpha]), size, interpolation=cv2.INTER_AREA)
            faces[rank, suit.value] = bgra
    return faces


def photographed(face: np.ndarray, rng: np.random.Generator, *, turned: bool, severity: float = 1.0) -> np.ndarray:
    """``face`` as align's rectified card would show it after a hand-held photo; ``severity``
    stretches the ranges of misregistration, coarseness, blur, noise and JPEG loss (1: realistic)."""
    height, width = face.shape[:2]
    table = rng.uniform(20, 200, 3)
    alpha = face[..., 3:4].astype(np.float32) / 255
    image = face[..., :3] * alpha + table * (1 - alpha)
    if turned:
        image = image[::-1, ::-1]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64) - 0.5
    angle = rng.uniform(0, 2 * np.pi, 4)
    jitter = severity * rng.uniform(0.5, 1.5, 4)[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    h = geometry.quad_homography(corners, corners + jitter)
    image = cv2.warpPerspective(image.astype(np.float32), h, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    coarse = rng.uniform(1.0, 1.0 + 1.2 * severity)
    small = cv2.resize(image, (round(width / coarse), round(height / coarse)), interpolation=cv2.INTER_AREA)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0) * severity)
    direction = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width]
    ramp = (np.cos(direction) * xs / width + np.sin(direction) * ys / height)
    light = 1.0 - rng.uniform(0, 0.4) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-9)
    noise = rng.normal(0, rng.uniform(1, 6) * severity, image.shape)
    image = image * light[..., None] * rng.uniform(0.85, 1.1, 3) + noise
    ok, data = cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(max(10, round(95 - 40 * severity)), 96))])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def skew_rule(card_a: np.ndarray, card_b: np.ndarray) -> bool:
    """The baseline, align's rule before ``cardprep.orient``: each pip upright when its ink rows'
    skew is positive (tail down, as the built-in deck's pips), B turned when its pips then fit A's
    better after a half turn (nearest-pip distances both ways, 5 mm for each direction differing).
    It runs on today's ``read_face``, which finds pips on real designs better than the old one."""
    def pips(card: np.ndarray) -> list[tuple[float, float, bool]]:
        ink, _ = cards.ink_map(card)
        found = []
        for pip in cards.read_face(card).pips:
            left, top, width, height = pip.box
            rows = np.nonzero(ink[top:top + height, left:left + width] > 0.4)[0].astype(np.float64)
            found.append((pip.x, pip.y, bool(np.mean((rows - rows.mean()) ** 3) > 0)))
        return found

    def mismatch(one: list, other: list) -> float:
        def one_way(src: list, dst: list) -> float:
            return sum(min(np.hypot(x - u, y - v) + 5.0 * (up != vp) for u, v, vp in dst) for x, y, up in src)
        return one_way(one, other) + one_way(other, one)

    a, b = pips(card_a), pips(card_b)
    if not a or not b:
        return False
    turned = [(CARD_WIDTH_MM - x, CARD_HEIGHT_MM - y, not up) for x, y, up in b]
    return mismatch(a, turned) < mismatch(a, b) - 1.0


def run_design(deck: Deck, one_way: tuple[str, ...], pairs: int, seed: int, severity: float) -> Tally:
    faces = load_faces(deck)
    tally = Tally()
    for r, rank in enumerate(RANKS):
        for k in range(pairs):
            rng = np.random.default_rng([seed, zlib.crc32(deck.name.encode()), r, k])
            turned = bool(rng.random() < 0.5)
            card_a = photographed(faces[rank, "clubs"], rng, turned=False, severity=severity)
            card_b = photographed(faces[rank, "hearts"], rng, turned=turned, severity=severity)
            tally.add(score(rank in ODD_RANKS or rank in one_way, turned, card_a, card_b))
    return tally


def score(matters: bool, turned: bool, card_a: np.ndarray, card_b: np.ndarray) -> Tally:
    start = time.process_time()
    decision = decide_orientation(card_a, card_b)
    middle = time.process_time()
    baseline = skew_rule(card_a, card_b)
    end = time.process_time()
    tally = Tally(pairs=1, seconds=middle - start, base_seconds=end - middle)
    tally.no_matter = int(not decision.matters)
    tally.no_matter_wrong = int(not decision.matters and matters)
    tally.false_alarms = int(decision.uncertain and not matters)
    if matters:
        tally.matters = 1
        tally.uncertain = int(decision.uncertain)
        tally.right = int(decision.matters and not decision.uncertain and decision.turn == turned)
        if tally.right:
            tally.least_confidence = decision.confidence
        tally.false_flips = int(decision.turn and not turned)
        tally.missed_flips = int(turned and not decision.turn and not decision.uncertain)
        tally.base_right = int(baseline == turned)
        tally.base_false_flips = int(baseline and not turned)
    return tally


def run_photos(deck: Deck, one_way: tuple[str, ...], pairs: int, seed: int, size: tuple[int, int]) -> Tally:
    """Simulated photo pairs of ``deck`` through detection, the outline homography and rectification,
    as align does it; the simulator lays only odd ranks upside down. A pair whose card is not
    found counts as not right (and is not timed)."""
    tally = Tally()
    config = SimConfig(size=size)
    for r, rank in enumerate(RANKS):
        for k in range(pairs):
            rng = np.random.default_rng([seed, zlib.crc32(deck.name.encode()), r, k, 1])
            upside_down = rank in ODD_RANKS and bool(rng.random() < 0.5)
            sim = simulate_pair(rank, rng, config, upside_down=upside_down, deck=deck)
            matters = rank in ODD_RANKS or rank in one_way
            try:
                outline_a, outline_b = find_card(sim.photo_a), find_card(sim.photo_b)
            except CardNotFound:
                tally.add(Tally(pairs=1, matters=int(matters)))
                continue
            a_from_b, _ = outline_homography(outline_a.corners, outline_b.corners)
            card_from_a = cards.card_from_photo(outline_a.corners)
            card_a = cards.rectify(sim.photo_a, card_from_a)
            card_b = cards.rectify(sim.photo_b, card_from_a @ a_from_b)
            tally.add(score(matters, upside_down, card_a, card_b))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=8, help="pairs per rank and design")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--designs", nargs="*", help="only these designs (default: all)")
    parser.add_argument("--severity", type=float, default=1.0,
                        help="stretch the nuisance ranges by this factor (1: realistic) to find where it breaks")
    parser.add_argument("--photos", type=int, default=0,
                        help="instead: this many simulated photo pairs per rank and design, end to end")
    parser.add_argument("--size", default="1600x1200", help="photo size for --photos, WIDTHxHEIGHT")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    print(f"{'design':18} {'pairs':>5} {'matter':>6} {'right':>7} {'false':>5} {'missed':>6} {'uncert':>6} "
          f"{'least':>5} {'no-mat':>6} {'nm-bad':>6} {'alarm':>5} {'cpu ms':>7} | "
          f"{'baseline right':>14} {'false':>5} {'cpu ms':>7}")
    total, foreign = Tally(), Tally()
    for deck, one_way in all_decks():
        if args.designs and deck.name not in args.designs:
            continue
        if args.photos:
            tally = run_photos(deck, one_way, args.photos, args.seed, size)
        else:
            tally = run_design(deck, one_way, args.pairs, args.seed, args.severity)
        total.add(tally)
        if not isinstance(deck, BuiltInDeck):
            foreign.add(tally)
        print(row(deck.name, tally), flush=True)
    print(row("all", total))
    print(row("not drawn here", foreign))


def row(name: str, t: Tally) -> str:
    share = 100 * t.right / max(t.matters, 1)
    base = 100 * t.base_right / max(t.matters, 1)
    return (f"{name:18} {t.pairs:5d} {t.matters:6d} {share:6.1f}% {t.false_flips:5d} {t.missed_flips:6d} "
            f"{t.uncertain:6d} {t.least_confidence:5.2f} {t.no_matter:6d} {t.no_matter_wrong:6d} {t.false_alarms:5d} "
            f"{1000 * t.seconds / max(t.pairs, 1):7.1f} | "
            f"{base:13.1f}% {t.base_false_flips:5d} {1000 * t.base_seconds / max(t.pairs, 1):7.1f}")


if __name__ == "__main__":
    main()

"""Card detection per deck design: found, failed (and why), corner error against exact truth,
time per photo, for ``cardprep.detect`` and, in the same run on the same photos, the detector
as it was at commit 6d18007 (the baseline; its source is taken with ``git show``).

Three sets of photos:

- simulator: ``cardprep.sim.simulate_pair`` over the 13 ranks (club photo A and heart photo
  B of each pair; 1024x768, 1600x1200, 768x1024 and, for the 7, 12 MP), per design: the
  built-in deck in each of its designs and the four fixture designs (``load_deck``);
- scenes: tests/cardprep/detect_scenes.py, per design (built-in deck and the four fixture
  designs in tests/fixtures/decks), 13 club and 13 heart ranks over the simulator's tables
  plus white cloth and black leather, with glare, a hard shadow, a white plate and strip,
  1024x768 to 12 MP, landscape and portrait; and per design one photo with the card partly
  out of frame and one with two cards, which must fail for that reason;
- the two real photos in ../shared/real-photos (when present), against hand-located corners.

    .venv/bin/python benchmarks/detect_bench.py            # everything (~8 min on 2 busy cores)
    .venv/bin/python benchmarks/detect_bench.py --quick    # 1024x768 only, a few photos per design
    .venv/bin/python benchmarks/detect_bench.py --misses   # and every failed or > 1 px photo
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardprep import detect  # noqa: E402
from cardprep.sim.photos import SimConfig, simulate_pair  # noqa: E402
from cardprep.spec import RANKS  # noqa: E402
from cardprep.sim import Design  # noqa: E402
from tests.cardprep.detect_scenes import DESIGNS, TABLES, Scene, corner_errors, deck, render  # noqa: E402
from tests.cardprep.test_detect import REAL_PHOTOS, REAL_TRUTH  # noqa: E402

BASELINE = "6d18007"
EFFECTS = ({}, {"glare": True}, {"shadow": True}, {"white_object": True}, {"glare": True, "shadow": True})
SIZES = ((1024, 768), (1600, 1200), (768, 1024), (1200, 1600), (1280, 960), (960, 1280))
TWELVE_MP = ((4032, 3024), (3024, 4032))
SIM_SIZES = ((1024, 768), (1600, 1200), (768, 1024))
SIM_DESIGNS = ("builtin", *(d.value for d in Design if d is not Design.CLASSIC), *DESIGNS[1:])


@dataclass
class Tally:
    """One detector's results on one group of photos."""

    errors: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)  # each failed or badly located photo, and why
    seconds: float = 0.0
    photos: int = 0

    def line(self) -> str:
        found = self.photos - sum(self.failures.values())
        errors = np.array(self.errors) if self.errors else np.array([np.nan])
        failed = "; ".join(f"{n}x {reason}" for reason, n in self.failures.most_common()) or "-"
        return (f"found {found:3d}/{self.photos:<3d} err median {np.median(errors):6.3f} p95 "
                f"{np.percentile(errors, 95):7.3f} max {errors.max():7.2f} px  "
                f"{1000 * self.seconds / max(self.photos, 1):6.1f} ms  failed: {failed}")


def baseline_detector() -> Callable[[np.ndarray], detect.CardOutline]:
    """``find_card`` as it was at the baseline commit, imported from a temporary copy."""
    source = subprocess.run(["git", "show", f"{BASELINE}:cardprep/detect.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / f"detect_{BASELINE}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module.find_card


def measure(find: Callable, label: str, photo: np.ndarray, truth: np.ndarray | None, tally: Tally) -> None:
    """Run ``find`` on ``photo`` and add the outcome to ``tally`` (truth None: it must fail)."""
    start = time.perf_counter()
    try:
        corners = find(photo).corners
    except Exception as error:  # noqa: BLE001 - the baseline raises its own CardNotFound class
        corners, reason = None, str(error).split(" (")[0].split(";")[0]
    tally.seconds += time.perf_counter() - start
    tally.photos += 1
    if corners is None:
        tally.failures[reason] += 1
        if truth is not None:
            tally.misses.append(f"{label}: {reason}")
    elif truth is None:
        tally.failures["WRONG: found a card"] += 1
        tally.misses.append(f"{label}: found a card")
    else:
        errors = corner_errors(corners, truth)
        tally.errors.extend(errors.tolist())
        if errors.max() > 1.0:
            tally.misses.append(f"{label}: corner error up to {errors.max():.2f} px")


def simulator_photos(quick: bool) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """(group, label, photo, truth corners) from the simulator's own pairs, per design: the
    13 ranks over landscape, portrait and (rank 7) 12 MP photos."""
    for design in ("builtin", "bellot") if quick else SIM_DESIGNS:
        for index, rank in enumerate(RANKS[:3] if quick else RANKS):
            size = SIM_SIZES[0] if quick else (TWELVE_MP[0] if index == 6 else SIM_SIZES[index % len(SIM_SIZES)])
            pair = simulate_pair(rank, np.random.default_rng([11, index]), SimConfig(size=size), deck=deck(design))
            label = f"{rank} {pair.surface.value} {size[0]}x{size[1]} seed [11, {index}]"
            yield f"simulator {design}", f"{label} A", pair.photo_a, pair.corners_a
            yield f"simulator {design}", f"{label} B", pair.photo_b, pair.corners_b


def scene_photos(quick: bool) -> Iterator[tuple[str, str, np.ndarray, np.ndarray | None]]:
    """(group, label, photo, truth corners or None where the photo must fail) per design."""
    for design in DESIGNS:
        cases = [(rank, suit) for suit in ("clubs", "hearts") for rank in RANKS]
        for i, (rank, suit) in enumerate(cases[:6] if quick else cases):
            size = SIZES[0] if quick else (TWELVE_MP[i // 13] if i % 13 == 6 else SIZES[i % len(SIZES)])
            rng = np.random.default_rng([23, i, DESIGNS.index(design)])
            scene = Scene(design=design, rank=rank, suit=suit, size=size, table=TABLES[i % len(TABLES)],
                          card_share=float(rng.uniform(0.35, 0.65)), seed=i, **EFFECTS[i % len(EFFECTS)])
            photo, truth = render(scene)
            yield f"scenes {design}", repr(scene), photo, truth
        for i, hostile in enumerate(({"out_of_frame": True}, {"second_card": True})):
            scene = Scene(design=design, rank="Q", table=TABLES[i + 2], seed=100 + i, **hostile)
            yield f"must fail {design} ({next(iter(hostile))})", repr(scene), render(scene)[0], None


def real_photos() -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    for name, truth in REAL_TRUTH.items():
        path = REAL_PHOTOS / name
        if path.is_file():
            yield f"real {name}", name, cv2.imread(str(path), cv2.IMREAD_COLOR), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1024x768 only, a few photos per design")
    parser.add_argument("--misses", action="store_true", help="list every failed or badly located photo")
    args = parser.parse_args()
    detectors = {"now": detect.find_card, BASELINE: baseline_detector()}
    tallies: dict[str, dict[str, Tally]] = {}
    for source in (simulator_photos(args.quick), scene_photos(args.quick), real_photos()):
        for group, label, photo, truth in source:
            for name, find in detectors.items():
                measure(find, label, photo, truth, tallies.setdefault(group, {}).setdefault(name, Tally()))
    for group, by_detector in tallies.items():
        now, old = by_detector["now"], by_detector[BASELINE]
        print(f"{group}\n  now      {now.line()}\n  {BASELINE}  {old.line()}\n"
              f"  time ratio now/{BASELINE}: {now.seconds / max(old.seconds, 1e-9):.2f}")
        if args.misses:
            for name, tally in by_detector.items():
                print("".join(f"    {name} miss: {miss}\n" for miss in tally.misses), end="")
    total = {name: sum((t[name].seconds for t in tallies.values()), 0.0) for name in detectors}
    print(f"all photos: time ratio now/{BASELINE} {total['now'] / total[BASELINE]:.2f}")


if __name__ == "__main__":
    main()

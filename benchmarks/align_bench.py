"""Accuracy and speed of ``cardprep align`` against whole-image baselines, in the same run.

For each photo size, the simulator writes a set of pairs over all 13 ranks, some heart cards
laid upside down, as JPEG files with their exact truth (``cardprep simulate``). Then:

- ``cardprep align`` runs on the folder (``align_folder``: JPEG decoding, detection,
  orientation, ECC refinement, writing the aligned pairs and the report), ``--repeats`` times;
- three baselines run on the very same files, on as many worker processes:
  identity (no alignment); OpenCV ECC on the whole grayscale photo from the identity
  (homography motion, multi-scale, gaussFiltSize 1, the photo shrunk to 1024 px); ORB (5000
  features, ratio test) + ``findHomography`` with MAGSAC on the whole photo.

Accuracy is the card-corner error: B's true card corners mapped by a method's homography,
against A's true card corners, in A pixels (4 per pair; a failed pair counts as a failure,
not as an error). The baselines know nothing of upside-down cards: their orientation is the
one their homography implies (B's corner i landing nearest A's corner i or i + 2), and a
flipped card costs them the card's length in error. Speed is the wall time of
``align_folder`` for the whole set (target: 13 pairs of 12 MP in under 10 s on 2 cores) and
the seconds per pair of every method, each on one worker (JPEG decoding included).

    .venv/bin/python benchmarks/align_bench.py              # 1024x768, 1600x1200 and 4032x3024
    .venv/bin/python benchmarks/align_bench.py --quick      # smoke check: 5 pairs at 1024x768
    .venv/bin/python benchmarks/align_bench.py --sizes 4032x3024 --repeats 3 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cardprep import geometry
from cardprep.align import AlignConfig, AlignSummary, Status, align_folder
from cardprep.common.images import read_image
from cardprep.common.parallel import ordered_map
from cardprep.sim.photos import SimConfig, simulate_set

DEFAULT_SIZES = ((1024, 768), (1600, 1200), (4032, 3024))
SPEED_TARGET = ((4032, 3024), 13, 2, 10.0)  # size, pairs, workers, seconds
ECC_SIDE = 1024  # the ECC baseline works on the photo shrunk to this long side
ECC_COARSEST = 256  # long side at ECC's coarsest pyramid level
ECC_ITERATIONS = 50  # per pyramid level
ORB_FEATURES = 5000
ORB_RATIO = 0.8  # Lowe's ratio test
MAGSAC_THRESHOLD_PX = 3.0


@dataclass(frozen=True)
class Truth:
    """One simulated pair's truth, as truth.csv has it."""

    pair: str
    rank: str
    orientation: int
    surface: str
    camera_moved: bool
    corners_a: np.ndarray  # (4, 2)
    corners_b: np.ndarray  # (4, 2)


@dataclass(frozen=True)
class Estimate:
    """What a method made of one pair. ``orientation`` None: the one its homography implies."""

    pair: str
    homography: np.ndarray | None  # None: the method failed
    seconds: float
    orientation: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class MethodRun:
    name: str
    estimates: tuple[Estimate, ...]
    wall_s: tuple[float, ...]  # whole set, one value per timed run
    timed: bool = True  # False: nothing worth timing (identity)


@dataclass(frozen=True)
class Scores:
    failed: int
    errors: np.ndarray  # every card corner of every pair that did not fail
    orientation_ok: int  # failed pairs count as wrong
    false_flips: int  # turned although the card lay the right way up
    pairs: int


# --- the simulated sets -------------------------------------------------------------------------

def parse_size(text: str) -> tuple[int, int]:
    """'4032x3024' -> (4032, 3024)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size looks like WIDTHxHEIGHT, e.g. 1600x1200, not {text!r}") from None
    return width, height


def read_truth(raw: Path) -> list[Truth]:
    with open(raw / "truth.csv", newline="") as file:
        return [Truth(row["pair"], row["rank"], int(row["orientation"]), row["surface"], row["camera_moved"] == "true",
                      geometry.parse_floats(row["corners_a"], (4, 2)), geometry.parse_floats(row["corners_b"], (4, 2)))
                for row in csv.DictReader(file)]


# --- the methods --------------------------------------------------------------------------------

def run_align(raw: Path, work: Path, workers: int, repeats: int) -> tuple[MethodRun, list[AlignSummary]]:
    """``align_folder`` on RAW ``repeats`` times; the estimates come from the first run."""
    summaries = [align_folder(raw, work / f"aligned-{run}", AlignConfig(), workers=workers) for run in range(repeats)]
    estimates = tuple(Estimate(r.pair, None if r.status is Status.FAILED else r.homography, r.seconds,
                               r.orientation, r.reason) for r in summaries[0].results)
    return MethodRun("cardprep align", estimates, tuple(s.seconds for s in summaries)), summaries


def identity(_a: np.ndarray, _b: np.ndarray) -> np.ndarray:
    """No alignment: B as photographed."""
    return np.eye(3)


def ecc_whole_image(photo_a: np.ndarray, photo_b: np.ndarray) -> np.ndarray:
    """OpenCV ECC on the whole grayscale photos, from the identity, at ECC_SIDE px at most."""
    gray_a, gray_b = (cv2.cvtColor(p, cv2.COLOR_BGR2GRAY) for p in (photo_a, photo_b))
    zoom = min(1.0, ECC_SIDE / max(gray_a.shape))
    size = (round(gray_a.shape[1] * zoom), round(gray_a.shape[0] * zoom))
    to_work = geometry.resize_map(gray_a.shape, size) if zoom < 1.0 else np.eye(3)
    if zoom < 1.0:
        gray_a, gray_b = (cv2.resize(g, size, interpolation=cv2.INTER_AREA) for g in (gray_a, gray_b))
    params = cv2.ECCParameters()
    params.motionType = cv2.MOTION_HOMOGRAPHY
    params.gaussFiltSize = 1
    params.nlevels = max(1, int(np.log2(max(size) / ECC_COARSEST)) + 1)
    params.itersPerLevel = [ECC_ITERATIONS] * params.nlevels
    params.criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, ECC_ITERATIONS, 1e-5)
    _, warp = cv2.findTransformECCMultiScale(gray_a.astype(np.float32), gray_b.astype(np.float32),
                                             np.eye(3, dtype=np.float32), params)
    # warp maps A's working pixels to B's: invert it and bring it to photo pixels.
    return np.linalg.inv(to_work) @ np.linalg.inv(warp.astype(np.float64)) @ to_work


def orb_magsac(photo_a: np.ndarray, photo_b: np.ndarray) -> np.ndarray:
    """ORB features on the whole grayscale photos, ratio-tested matches, a MAGSAC homography."""
    orb = cv2.ORB_create(ORB_FEATURES)
    keys_a, desc_a = orb.detectAndCompute(cv2.cvtColor(photo_a, cv2.COLOR_BGR2GRAY), None)
    keys_b, desc_b = orb.detectAndCompute(cv2.cvtColor(photo_b, cv2.COLOR_BGR2GRAY), None)
    if desc_a is None or desc_b is None:
        raise ValueError("no ORB features")
    matches = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc_b, desc_a, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < ORB_RATIO * m[1].distance]
    if len(good) < 4:
        raise ValueError(f"{len(good)} ORB matches")
    from_b = np.float32([keys_b[m.queryIdx].pt for m in good])
    to_a = np.float32([keys_a[m.trainIdx].pt for m in good])
    homography, _ = cv2.findHomography(from_b, to_a, cv2.USAC_MAGSAC, MAGSAC_THRESHOLD_PX)
    if homography is None:
        raise ValueError(f"MAGSAC found no homography in {len(good)} matches")
    return homography


BASELINES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "identity (no alignment)": identity,
    "ECC, whole image": ecc_whole_image,
    "ORB + MAGSAC": orb_magsac,
}


def _baseline_job(job: tuple[str, str, Path, Path]) -> Estimate:
    """One pair through one baseline, JPEG decoding included; an exception is a failure."""
    name, pair, path_a, path_b = job
    start = time.perf_counter()
    photo_a, photo_b = read_image(path_a), read_image(path_b)
    try:
        homography = BASELINES[name](photo_a, photo_b)
        if not np.all(np.isfinite(homography)):
            raise ValueError("a homography that is not finite")
    except (cv2.error, ValueError, np.linalg.LinAlgError) as error:
        reason = str(error).strip().splitlines()[-1]
        return Estimate(pair, None, time.perf_counter() - start, reason=reason)
    return Estimate(pair, geometry.normalized(homography), time.perf_counter() - start)


def run_baseline(name: str, raw: Path, truths: list[Truth], workers: int) -> MethodRun:
    jobs = [(name, t.pair, raw / "A" / f"{t.pair}.jpg", raw / "B" / f"{t.pair}.jpg") for t in truths]
    start = time.perf_counter()
    estimates = tuple(ordered_map(_baseline_job, jobs, min(workers, len(jobs))))
    return MethodRun(name, estimates, (time.perf_counter() - start,), timed=BASELINES[name] is not identity)


# --- scoring ------------------------------------------------------------------------------------

def implied_orientation(homography: np.ndarray, truth: Truth) -> int | None:
    """The orientation ``homography`` implies: the truth's when it takes B's corner i nearest A's
    corner i, the other one when nearest A's corner i + 2 (a half turn off); None otherwise."""
    mapped = geometry.apply_homography(homography, truth.corners_b)
    shift = min(range(4), key=lambda k: np.linalg.norm(mapped - np.roll(truth.corners_a, -k, axis=0), axis=1).sum())
    return {0: truth.orientation, 2: (truth.orientation + 180) % 360}.get(shift)


def score(run: MethodRun, truths: list[Truth]) -> Scores:
    by_pair = {e.pair: e for e in run.estimates}
    errors, orientation_ok, false_flips = [], 0, 0
    for truth in truths:
        estimate = by_pair[truth.pair]
        if estimate.homography is None:
            continue
        errors.append(geometry.corner_errors(estimate.homography, truth.corners_b, truth.corners_a))
        orientation = estimate.orientation
        if orientation is None:
            orientation = implied_orientation(estimate.homography, truth)
        orientation_ok += orientation == truth.orientation
        false_flips += truth.orientation == 0 and orientation == 180
    flat = np.concatenate(errors) if errors else np.empty(0)
    return Scores(len(truths) - len(errors), flat, orientation_ok, false_flips, len(truths))


# --- printing -----------------------------------------------------------------------------------

HEADER = (f"  {'method':<24} {'failed':>6} {'median':>8} {'p95':>8} {'max':>8} {'orient':>7} {'false':>6}"
          f" {'s/pair':>7} {'wall s':>7}")
UNITS = f"  {'':<24} {'':>6} {'corner error (A px)':>26} {'ok':>7} {'flips':>6} {'1 proc':>7}"


def table_row(run: MethodRun, scores: Scores) -> str:
    if scores.errors.size:
        median, p95, worst = np.percentile(scores.errors, [50, 95, 100])
        accuracy = f"{median:8.2f} {p95:8.2f} {worst:8.2f}"
    else:
        accuracy = f"{'-':>8} {'-':>8} {'-':>8}"
    if run.timed:
        per_pair = np.mean([e.seconds for e in run.estimates])
        timing = f"{per_pair:7.2f} {min(run.wall_s):7.1f}"
    else:
        timing = f"{'-':>7} {'-':>7}"
    orientation = f"{scores.orientation_ok}/{scores.pairs}"
    return f"  {run.name:<24} {scores.failed:>6} {accuracy} {orientation:>7} {scores.false_flips:>6} {timing}"


def align_notes(run: MethodRun, summary: AlignSummary, truths: list[Truth]) -> list[str]:
    """A line for every align pair that failed, was flagged or got the orientation wrong, and the worst pair."""
    truth = {t.pair: t for t in truths}
    notes = []
    for result in summary.results:
        t = truth[result.pair]
        wrong_turn = result.status is not Status.FAILED and result.orientation != t.orientation
        if result.status is Status.OK and not wrong_turn:
            continue
        what = result.status.value + (f", orientation {result.orientation} (truth {t.orientation})" if wrong_turn else "")
        notes.append(f"    align {result.pair} (rank {t.rank}, {t.surface}, camera moved: {t.camera_moved}): "
                     f"{what}: {result.reason or '-'}")
    done = [(geometry.corner_errors(e.homography, truth[e.pair].corners_b, truth[e.pair].corners_a).max(), e.pair)
            for e in run.estimates if e.homography is not None]
    if done:
        worst, pair = max(done)
        t = truth[pair]
        notes.append(f"    align worst pair: {pair} (rank {t.rank}, {t.surface}, camera moved: {t.camera_moved}) "
                     f"{worst:.2f} px")
    return notes


def baseline_failures(runs: list[MethodRun]) -> list[str]:
    reasons: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        for estimate in run.estimates:
            if estimate.homography is None:
                reasons.setdefault((run.name, estimate.reason), []).append(estimate.pair)
    return [f"    {name} failed on {', '.join(pairs)}: {reason}" for (name, reason), pairs in reasons.items()]


def load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


# --- the benchmark ------------------------------------------------------------------------------

def bench_size(size: tuple[int, int], args: argparse.Namespace, work: Path) -> MethodRun:
    """Simulate, align and run the baselines at one size; print its table. Returns align's run."""
    width, height = size
    raw = work / f"raw-{width}x{height}"
    start = time.perf_counter()
    sim = simulate_set(raw, pairs=args.pairs, seed=args.seed, workers=args.workers,
                       config=SimConfig(size=size, upside_down=args.upside_down))
    simulated_s = time.perf_counter() - start
    truths = read_truth(raw)
    align, summaries = run_align(raw, work / f"out-{width}x{height}", args.workers, args.repeats)
    baselines = [run_baseline(name, raw, truths, args.workers) for name in BASELINES]

    print(f"\n{width}x{height} ({width * height / 1e6:.1f} MP): {sim.pairs} pairs, {sim.upside_down} upside down, "
          f"{sim.camera_moved} with the camera moved (simulated in {simulated_s:.0f} s)")
    print(HEADER)
    print(UNITS)
    for run in (align, *baselines):
        print(table_row(run, score(run, truths)))
    runs = ", ".join(f"{s:.2f}" for s in align.wall_s)
    slowest = max(align.estimates, key=lambda e: e.seconds)
    print(f"    align_folder wall time, {args.workers} workers: {runs} s; slowest pair {slowest.pair} "
          f"{slowest.seconds:.2f} s (load average now {load()})")
    for line in align_notes(align, summaries[0], truths) + baseline_failures(baselines):
        print(line)
    return align


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_size, nargs="+", default=list(DEFAULT_SIZES), metavar="WxH",
                        help="photo sizes (default: 1024x768 1600x1200 4032x3024)")
    parser.add_argument("--pairs", type=int, default=13, help="pairs per size; ranks cycle A..K (default 13)")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed, the same for every size (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for every method (default 2)")
    parser.add_argument("--upside-down", type=float, default=0.5, metavar="F",
                        help="fraction of odd cards laid upside down in B (default 0.5)")
    parser.add_argument("--repeats", type=int, default=2, help="timed align_folder runs per size (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke check: 5 pairs at 1024x768, one align run")
    args = parser.parse_args()
    if min(args.pairs, args.workers, args.repeats) < 1:
        parser.error("--pairs, --workers and --repeats must be at least 1")
    if args.quick:
        args.sizes, args.pairs, args.repeats = [(1024, 768)], 5, 1

    print(f"align_bench: seed {args.seed}, {args.pairs} pairs per size, upside-down fraction {args.upside_down}, "
          f"{args.workers} workers, {os.cpu_count()} cores, OpenCV {cv2.__version__}; load average {load()}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="align-bench-") as tmp:
        aligned = {size: bench_size(size, args, Path(tmp)) for size in args.sizes}
    target_size, target_pairs, target_workers, target_s = SPEED_TARGET
    if target_size in aligned and (args.pairs, args.workers) == (target_pairs, target_workers):
        best = min(aligned[target_size].wall_s)
        verdict = "met" if best < target_s else "missed"
        print(f"\nspeed target: {target_pairs} pairs of {target_size[0]}x{target_size[1]} on {target_workers} workers "
              f"in < {target_s:.0f} s: best {best:.2f} s, {verdict}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

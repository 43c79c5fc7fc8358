"""Time ``cardprep augment`` against the best simple baseline, a plain loop, in the same run.

Input: 13 aligned 512x512 pairs cut from simulated photos with their exact truth (B warped
onto A, a square around the card, the card's long side 70% of it), as ``cardprep align``
writes them. Output: the reference dataset, 1000 train + 300 val 512x256 A|B JPEGs.

Card frame: the same photos cut as ``cardprep align --frame card`` does (the card rectified
to the square card frame), 1000 + 300 images at 128 px with the card frame's defaults (the
light and camera effects on) against the same build with every effect off, which is what
augment did before those effects existed: the ratio is the effects' cost.

The baseline is the best simple loop (``plain_loop``): one process that decodes each source
pair once and keeps it, then warps, encodes and writes every image with OpenCV. (The earlier
baseline, the seed's PIL loop, decoded both PNGs again for every image, which flattered the
ratio.) Both draw the very same parameters.

    .venv/bin/python benchmarks/augment_bench.py [--repeats 3] [--workers 0] [--wait-idle 120]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from cardprep import card_frame
from cardprep.align.config import AlignConfig, Frame, write_record
from cardprep.augment import (
    FRAME_DEFAULTS,
    AugmentConfig,
    Split,
    build_dataset,
    draw_params,
    image_seed,
    out_from_source,
)
from cardprep.sim.photos import SimConfig, simulate_pair
from cardprep.spec import RANKS

SOURCE = 512


def make_aligned(root: Path, pairs: int = 13, frame: Frame = Frame.PHOTO) -> list[str]:
    """Simulated photo pairs registered with their true homography and cut as Contract 2 says,
    in ``frame``, with the align.json that records it."""
    stems = []
    for index in range(pairs):
        rank = RANKS[index % len(RANKS)]
        pair = simulate_pair(rank, np.random.default_rng(index), SimConfig(size=(1024, 768)))
        crop_from_a = _photo_crop(pair.corners_a) if frame is Frame.PHOTO else card_frame.frame_from_photo(
            pair.corners_a, SOURCE)
        stem = f"{index:02d}-{rank}"
        for side, image, crop_from_photo in (("A", pair.photo_a, crop_from_a),
                                             ("B", pair.photo_b, crop_from_a @ pair.a_from_b)):
            (root / side).mkdir(parents=True, exist_ok=True)
            crop = cv2.warpPerspective(image, crop_from_photo, (SOURCE, SOURCE), flags=cv2.INTER_AREA,
                                       borderMode=cv2.BORDER_REFLECT_101)
            cv2.imwrite(str(root / side / f"{stem}.png"), crop)
        stems.append(stem)
    write_record(root, AlignConfig(frame=frame, size=SOURCE))
    return stems


def _photo_crop(corners: np.ndarray) -> np.ndarray:
    """The photo frame: a square around the card, its long side 70% of the square."""
    long_side = max(np.linalg.norm(corners[1] - corners[2]), np.linalg.norm(corners[0] - corners[1]))
    scale = 0.7 * SOURCE / long_side
    centre = corners.mean(axis=0)
    return np.array([[scale, 0, SOURCE / 2 - 0.5 - scale * centre[0]],
                     [0, scale, SOURCE / 2 - 0.5 - scale * centre[1]], [0, 0, 1]])


def plain_loop(aligned: Path, stems: list[str], out: Path, config: AugmentConfig) -> None:
    """The best simple baseline: one process, each source pair decoded once and kept, then for
    every image one OpenCV warp per half straight from the source, side by side, JPEG, write.

    It draws the very same parameters and writes the same files cardprep does, less the
    prepare step (cardprep shrinks each source once with INTER_AREA before warping) and the
    workers.
    """
    (out / "train").mkdir(parents=True)
    (out / "val").mkdir()
    size = config.size
    sources = {stem: [cv2.imread(str(aligned / side / f"{stem}.png")) for side in ("A", "B")] for stem in stems}
    for split, count in ((Split.TRAIN, config.n_train), (Split.VAL, config.n_val)):
        for index in range(count):
            stem = stems[index % len(stems)]
            params = draw_params(image_seed(config.seed, split, index), config)
            matrix = out_from_source(params, (SOURCE, SOURCE), size)[:2]
            halves = [cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REFLECT_101) for image in sources[stem]]
            _, jpeg = cv2.imencode(".jpg", np.hstack(halves), [cv2.IMWRITE_JPEG_QUALITY, 95])
            (out / split.value / f"{index:04d}_{stem}.jpg").write_bytes(jpeg.tobytes())


def cpu_idle(seconds: float = 1.5) -> float:
    """Fraction of CPU time spent idle over the next ``seconds`` (Linux /proc/stat)."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, total
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_until_idle(limit_s: float, threshold: float = 0.9) -> float:
    """On a shared machine, wait up to ``limit_s`` for the CPUs to be idle; returns the idle fraction seen."""
    deadline = time.monotonic() + limit_s
    idle = cpu_idle()
    while idle < threshold and time.monotonic() < deadline:
        idle = cpu_idle()
    return idle


CARD_SIZE = 128  # the card-frame rows: the cpu-demo preset's side
_EFFECTS_OFF = {name: 0 for name in FRAME_DEFAULTS[Frame.CARD] if name not in ("rotate", "zoom", "shear", "shift")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each; medians are reported")
    parser.add_argument("--workers", type=int, default=0, help="cardprep workers (0: all cores)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                        help="before each timed run, wait up to S seconds for the CPUs to be 90%% idle (shared machines)")
    args = parser.parse_args()
    config = AugmentConfig().for_frame(Frame.PHOTO)  # 1000 train + 300 val, 256 px halves: the reference dataset
    card, card_plain = AugmentConfig(size=CARD_SIZE), AugmentConfig(size=CARD_SIZE, **_EFFECTS_OFF)
    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="augment-bench-") as tmp:
        root = Path(tmp)
        stems = make_aligned(root / "aligned")
        make_aligned(root / "card", frame=Frame.CARD)
        jobs = {"cardprep": lambda out: build_dataset(root / "aligned", out, config, workers=workers),
                "cardprep_1": lambda out: build_dataset(root / "aligned", out, config, workers=1),
                "plain": lambda out: plain_loop(root / "aligned", stems, out, config),
                "card": lambda out: build_dataset(root / "card", out, card, workers=workers),
                "card_plain": lambda out: build_dataset(root / "card", out, card_plain, workers=workers)}
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for run in range(args.repeats):  # interleaved, so load from other processes hits all alike
            for name, job in jobs.items():
                out = root / f"{name}-{run}"
                idle = wait_until_idle(args.wait_idle) if args.wait_idle else None
                start = time.perf_counter()
                job(out)
                times[name].append(time.perf_counter() - start)
                idle_note = f", CPUs {idle:.0%} idle before" if idle is not None else ""
                print(f"run {run + 1} {name}: {times[name][-1]:.2f} s{idle_note}", flush=True)
                assert len(list(out.rglob("*.jpg"))) == config.n_train + config.n_val
        median = {name: statistics.median(values) for name, values in times.items()}
    images = config.n_train + config.n_val
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{os.cpu_count()} cores; load average after the runs (1, 5, 15 min): {load}")
    print(f"{images} images ({config.n_train} train + {config.n_val} val) from {len(stems)} aligned {SOURCE}x{SOURCE} "
          f"pairs; median of {args.repeats} interleaved runs")
    baseline = "plain loop, each pair decoded once, 1 process"
    for name, label in (("cardprep", f"photo frame {config.size} px, {workers} workers"),
                        ("cardprep_1", f"photo frame {config.size} px, 1 worker"), ("plain", baseline),
                        ("card", f"card frame {CARD_SIZE} px, effects on, {workers} workers"),
                        ("card_plain", f"card frame {CARD_SIZE} px, effects off, {workers} workers")):
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {label:<46} {median[name]:6.2f} s  ({images / median[name]:5.0f} images/s; runs {runs})")
    print(f"  speed-up against the {baseline}: {median['plain'] / median['cardprep']:.1f}x with {workers} workers, "
          f"{median['plain'] / median['cardprep_1']:.1f}x with 1")
    print(f"  card frame: the light and camera effects cost {median['card'] / median['card_plain']:.2f}x "
          "the build without them")


if __name__ == "__main__":
    main()

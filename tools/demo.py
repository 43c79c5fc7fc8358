"""``make demo``: the whole card trick on the bundled samples, through the real commands, into one report.

    python tools/demo.py samples/raw demo

runs, each as its own process, exactly what a user would type:

    cardprep align RAW OUT/aligned --frame card
    cardprep augment OUT/aligned --out OUT/dataset --n 1000 --val 100 --size 128
    cardtrain fit OUT/dataset/manifest.csv --preset cpu-demo --out OUT/run
    cardprep simulate OUT/new --pairs 13 --seed 2027          # NEW photos of the same cards
    cardprep align OUT/new OUT/new_aligned --frame card
    cardtrain eval OUT/run/checkpoints/best.pt OUT/new_aligned --out OUT/eval_new
    cardprep video OUT/video_in.mp4 --size 640x480
    cardtrain predict OUT/run/checkpoints/best.pt OUT/video_in.mp4 --out OUT/video_out.mp4 --card --side-by-side
    cardtrain predict OUT/run/checkpoints/best.pt OUT/val_in --out OUT/val_out

then writes OUT/report.html (it opens from disk: every link is relative) with its pictures:
the align QA table, augmented pairs, training curves, input | output | target on val images
and on new photos, and frames of the translated video. The model learns the card alone
(``--frame card``): trained on whole photos, 13 pairs teach it their 13 backgrounds. About 6
minutes on 2 CPU cores, 4 of them training.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import torch

from cardprep.common.atomic import atomic_write_text
from cardprep.common.errors import UserError
from cardprep.common.images import read_image, write_image
from cardtrain.data import to_float
from cardtrain.metrics import red_mask

SIZE = 128  # the cpu-demo preset's model resolution: the dataset is made at it, not resized later
SAMPLES = 6  # augmented pairs, val images and video frames shown
NEW_PHOTOS_SEED = 2027  # samples/raw is seed 2026: the same 13 cards, new tables, light and camera
VIDEO_SIZE = "640x480"  # translated at its own resolution: only the card changes
CURVE_COLOURS = ((200, 120, 30), (40, 40, 210), (40, 160, 40), (150, 60, 150))  # BGR, one per series
T = TypeVar("T")


class DemoError(Exception):
    """A step of the demo failed; the message says which and how to see why."""


@dataclass(frozen=True)
class Step:
    """One command of the pipeline and what it took."""

    name: str
    argv: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class Series:
    """One line of a chart: y over x (training steps)."""

    name: str
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class DemoResult:
    out: Path
    steps: tuple[Step, ...]
    best_val: dict[str, str]  # the metrics.csv row of the best val L1 (the checkpoint used)
    new_photos: dict[str, float]  # cardtrain eval's metrics on new photos of the same cards
    red_share: tuple[float, float]  # new red pixels in the translated video, in the val targets (%)
    seconds: float


# -- running the commands ---------------------------------------------------------------------------


def run_step(name: str, argv: Sequence[str]) -> Step:
    """Run one command, its output going straight to the terminal; raise DemoError if it fails."""
    start = time.perf_counter()
    code = subprocess.run(list(argv), check=False).returncode
    if code != 0:
        raise DemoError(f"step '{name}' failed with exit code {code}: {' '.join(argv)}")
    return Step(name, tuple(argv), time.perf_counter() - start)


def cli(package: str, *args: str | Path) -> tuple[str, ...]:
    """``python -m cardprep ...`` with this interpreter, so the demo runs the installed commands."""
    return (sys.executable, "-m", package, *map(str, args))


def clear_run(run: Path) -> None:
    """Make room for a new training run: remove an earlier run, refuse anything else."""
    if run.exists() and any(run.iterdir()):
        if not (run / "config.json").is_file():
            raise DemoError(f"{run}: exists, is not empty and is not a cardtrain run; remove it or choose another OUT")
        shutil.rmtree(run)


def write_val_inputs(dataset: Path, folder: Path, count: int) -> list[Path]:
    """The A halves of the first ``count`` val images as PNGs in ``folder``, for ``cardtrain predict``."""
    sources = sorted((dataset / "val").glob("*.jpg"))[:count]
    if not sources:
        raise DemoError(f"{dataset}/val: no val images to show")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    for source in sources:
        pair = read_image(source)
        write_image(folder / f"{source.stem}.png", pair[:, : pair.shape[0]])
    return sources


# -- pictures -------------------------------------------------------------------------------------------


def read_video(path: Path) -> list[np.ndarray]:
    """Every frame of a video, BGR."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise DemoError(f"{path}: no frame could be read from this video")
    return frames


def tile(images: Sequence[np.ndarray], columns: int, gap: int = 4) -> np.ndarray:
    """Images of one size in a grid, ``columns`` wide, with white gaps; short rows padded white."""
    height, width = images[0].shape[:2]
    rows = -(-len(images) // columns)
    canvas = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, np.uint8)
    for index, image in enumerate(images):
        y, x = divmod(index, columns)
        canvas[y * (height + gap) : y * (height + gap) + height, x * (width + gap) : x * (width + gap) + width] = image
    return canvas


def before_after(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                 targets: Sequence[np.ndarray]) -> np.ndarray:
    """One row per image: input | output | target."""
    rows = [np.concatenate([a, o, t], axis=1) for a, o, t in zip(inputs, outputs, targets, strict=True)]
    return tile(rows, columns=1)


def spread(items: Sequence[T], count: int) -> list[T]:
    """``count`` items evenly spaced from first to last."""
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, min(count, len(items))).round()]


def new_red_share(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Percentage of output pixels that are red where the input was not: the pips that turned red.

    Uses cardtrain's own red rule (the one behind the pip IoU metric).
    """

    def red(images: Sequence[np.ndarray]) -> torch.Tensor:
        rgb = torch.from_numpy(np.ascontiguousarray(np.stack(images)[..., ::-1])).permute(0, 3, 1, 2)
        return red_mask(to_float(rgb))

    return 100.0 * float((red(outputs) & ~red(inputs)).float().mean())


def read_metrics(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DemoError(f"{path}: the training run wrote no metrics")
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def series(rows: Sequence[dict[str, str]], column: str, name: str | None = None) -> Series:
    """The values of ``column`` over ``step``, from the rows that have one (train or val rows)."""
    kept = [row for row in rows if row.get(column)]
    steps, values = [float(r["step"]) for r in kept], [float(r[column]) for r in kept]
    return Series(name or column, np.array(steps), np.array(values))


def best_val_row(rows: Sequence[dict[str, str]]) -> dict[str, str]:
    """The validation with the lowest L1: the one best.pt was saved at."""
    val = [row for row in rows if row.get("val_l1")]
    if not val:
        raise DemoError("the training run logged no validation (no val images?)")
    return min(val, key=lambda row: float(row["val_l1"]))


def line_chart(title: str, lines: Sequence[Series], size: tuple[int, int] = (420, 280)) -> np.ndarray:
    """A small line chart drawn with OpenCV: title, legend, y range labels, one colour per series.

    Series with few points (validations) get markers, so a single point still shows.
    """
    width, height = size
    left, right, top, bottom = 52, 12, 46, 26
    image = np.full((height, width, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, title, (left, 16), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    drawn = [s for s in lines if len(s.x)]
    if not drawn:
        cv2.putText(image, "no data", (left, height // 2), font, 0.45, (120, 120, 120), 1, cv2.LINE_AA)
        return image
    xs, ys = np.concatenate([s.x for s in drawn]), np.concatenate([s.y for s in drawn])
    x0, x1 = float(xs.min()), float(xs.max()) if xs.max() > xs.min() else float(xs.min()) + 1.0
    y0, y1 = float(ys.min()), float(ys.max()) if ys.max() > ys.min() else float(ys.min()) + 1.0
    y0, y1 = y0 - 0.05 * (y1 - y0), y1 + 0.05 * (y1 - y0)

    def to_px(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        px = left + (x - x0) / (x1 - x0) * (width - left - right)
        py = height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)
        return np.round(np.stack([px, py], axis=1)).astype(np.int32)

    cv2.rectangle(image, (left, top), (width - right, height - bottom), (160, 160, 160), 1)
    for value, y in ((y1, top), (y0, height - bottom)):
        cv2.putText(image, f"{value:.3g}", (4, y + 4), font, 0.35, (80, 80, 80), 1, cv2.LINE_AA)
    for value, x, anchor in ((x0, left, 0), (x1, width - right, 1)):
        label = f"step {value:.0f}"
        (text_w, _), _ = cv2.getTextSize(label, font, 0.35, 1)
        cv2.putText(image, label, (x - anchor * text_w, height - 8), font, 0.35, (80, 80, 80), 1, cv2.LINE_AA)
    legend_x = left
    for line, colour in zip(drawn, CURVE_COLOURS):
        points = to_px(line.x, line.y)
        cv2.polylines(image, [points], False, colour, 1, cv2.LINE_AA)
        if len(points) <= 20:
            for point in points:
                cv2.circle(image, tuple(int(v) for v in point), 3, colour, -1, cv2.LINE_AA)
        cv2.putText(image, line.name, (legend_x, 34), font, 0.38, colour, 1, cv2.LINE_AA)
        legend_x += cv2.getTextSize(line.name, font, 0.38, 1)[0][0] + 14
    return image


def training_curves(rows: Sequence[dict[str, str]]) -> np.ndarray:
    """Three charts side by side: L1 (train and val), the GAN losses, val pip IoU and SSIM."""
    charts = [
        line_chart("L1 (model space, [-1, 1])", [series(rows, "loss_g_l1", "train"), series(rows, "val_l1", "val")]),
        line_chart("GAN losses", [series(rows, "loss_d", "D"), series(rows, "loss_g_gan", "G adversarial")]),
        line_chart("validation", [series(rows, "val_pip_iou", "pip IoU"), series(rows, "val_ssim", "SSIM")]),
    ]
    return tile(charts, columns=len(charts))


# -- the report -----------------------------------------------------------------------------------------


def align_table(report_csv: Path) -> str:
    """aligned/report.csv as a compact HTML table, each pair with its overlay picture."""
    with report_csv.open(newline="") as file:
        rows = list(csv.DictReader(file))
    lines = []
    for row in rows:
        stem = html.escape(row["pair"])
        overlay = f"aligned/overlays/{stem}.jpg"
        picture = f'<a href="{overlay}"><img class="thumb" src="{overlay}" alt="overlay {stem}"></a>' \
            if row["status"] != "failed" else ""
        cells = [stem, f'{html.escape(row["status"])} {html.escape(row["reason"])}', row["orientation"],
                 row["score"], f'{html.escape(row["rank"])} / {html.escape(row.get("rank_b", ""))}',
                 row.get("residual_px", ""), picture]
        lines.append(f'<tr class="{html.escape(row["status"])}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in ("pair", "status", "B turned", "ECC score", "rank A / B",
                                                  "residual px", "overlay"))
    return f"<table><tr>{header}</tr>\n" + "\n".join(lines) + "\n</table>"


def render_report(result: DemoResult, align_html: str) -> str:
    """The demo page: every section's picture, the numbers, and links to the files behind them."""
    val = result.best_val
    steps = "".join(f"<tr><td>{html.escape(s.name)}</td><td>{s.seconds:.0f} s</td>"
                    f"<td><code>{html.escape(_shown(s.argv))}</code></td></tr>" for s in result.steps)
    video_red, target_red = result.red_share
    new = result.new_photos
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cardprep + cardtrain demo</title>
<style>
body {{ font: 15px system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: middle; }}
img {{ max-width: 100%; }}
img.thumb {{ width: 90px; }}
img.grid {{ width: 560px; }}
.failed {{ background: #fde8e8; }} .flagged {{ background: #fff6db; }}
</style></head><body>
<h1>The card trick, end to end</h1>
<p>Club card photos in, heart card video out, on the bundled samples, in {result.seconds / 60:.1f} minutes.
Each step is the real command (<code>python -m cardprep ...</code>, <code>python -m cardtrain ...</code>):</p>
<table><tr><th>step</th><th>time</th><th>command</th></tr>{steps}</table>

<h2>1. Align: every heart photo laid on its club photo</h2>
<p>The QA table of <code>cardprep align</code> (full page with A, B and overlays:
<a href="aligned/report.html">aligned/report.html</a>). "B turned" 180 means the heart card lay upside down
and was turned back. A good overlay shows single, sharp edges.</p>
{align_html}

<h2>2. Augment: the paired training set</h2>
<p>A few of the A|B training images (<a href="dataset/manifest.csv">manifest.csv</a> records each one's draw):
each image has one rotation, zoom, shear and shift, the same for both halves.</p>
<img class="grid" src="augmented.png" alt="augmented A|B pairs">

<h2>3. Train: pix2pix, the cpu-demo preset</h2>
<p>From <a href="run/metrics.csv">run/metrics.csv</a> (settings in <a href="run/config.json">run/config.json</a>).
Best validation (step {val["step"]}, the checkpoint used below): L1 {float(val["val_l1"]):.4f},
PSNR {float(val["val_psnr"]):.2f} dB, SSIM {float(val["val_ssim"]):.3f}, pip IoU {float(val["val_pip_iou"]):.3f}.</p>
<img src="curves.png" alt="training curves">

<h2>4. Before / after on validation images</h2>
<p>Each row: input (club) | model output | target (heart).</p>
<img class="grid" src="before_after.png" alt="input, output and target on val images">

<h2>5. New photos of the same cards</h2>
<p>Validation images are augmentations of the 13 training photos; what counts is new footage. These are
13 new photos of the same cards (other tables, light and camera: <code>cardprep simulate --seed
{NEW_PHOTOS_SEED}</code>), aligned by <code>cardprep align --frame card</code> and scored by
<code>cardtrain eval</code> (<a href="eval_new/metrics.json">metrics.json</a>): L1 {new["l1"]:.4f},
PSNR {new["psnr"]:.2f} dB, SSIM {new["ssim"]:.3f}, <b>pip IoU {new["pip_iou"]:.3f}</b>
(validation: {float(val["val_pip_iou"]):.3f}). Rows: input | target | output.</p>
<img class="grid" src="eval_new/grid.jpg" alt="input, target and output on new photos">

<h2>6. Video: a club card sliding across a table</h2>
<p><a href="video_in.mp4">video_in.mp4</a> (simulated clip, {VIDEO_SIZE}) and <a href="video_out.mp4">video_out.mp4</a>
(input | output, side by side, at the clip's own resolution: <code>--card</code> finds and follows the card,
translates it and pastes it back, every other pixel unchanged; MPEG-4 'mp4v', which VLC or mpv play, some
browsers not). Frames of it below.
New red pixels: {video_red:.1f}% of the translated frames (the val targets' heart pips: {target_red:.1f}%).</p>
<img src="video_strip.png" alt="frames of the translated video: input | output">
</body></html>
"""


def _shown(argv: Sequence[str]) -> str:
    """A command as a user would type it: ``cardprep align ...`` rather than ``/path/python -m cardprep align ...``."""
    return " ".join(argv[2:]) if argv[:2] == (sys.executable, "-m") else " ".join(argv)


# -- the pipeline ---------------------------------------------------------------------------------------


def run_demo(raw: Path, out: Path, *, n_train: int, n_val: int, seed: int, epochs: int | None) -> DemoResult:
    """Run every command into ``out``, then draw the pictures and write ``out/report.html``."""
    start = time.perf_counter()
    if not (raw / "A").is_dir() or not (raw / "B").is_dir():
        raise DemoError(f"{raw}: expected A/ (club photos) and B/ (heart photos) in it")
    out.mkdir(parents=True, exist_ok=True)
    aligned, dataset, run = out / "aligned", out / "dataset", out / "run"
    checkpoint = run / "checkpoints" / "best.pt"
    clear_run(run)
    epoch_option = ("--epochs", str(epochs)) if epochs else ()
    steps = [
        run_step("align", cli("cardprep", "align", raw, aligned, "--frame", "card")),
        run_step("augment", cli("cardprep", "augment", aligned, "--out", dataset, "--n", n_train, "--val", n_val,
                                "--size", SIZE, "--seed", seed)),
        run_step("fit", cli("cardtrain", "fit", dataset / "manifest.csv", "--preset", "cpu-demo", "--out", run,
                            "--seed", seed, *epoch_option)),
        run_step("new photos", cli("cardprep", "simulate", out / "new", "--pairs", 13, "--seed", NEW_PHOTOS_SEED)),
        run_step("align new", cli("cardprep", "align", out / "new", out / "new_aligned", "--frame", "card")),
        run_step("eval new", cli("cardtrain", "eval", checkpoint, out / "new_aligned", "--out", out / "eval_new")),
        run_step("video", cli("cardprep", "video", out / "video_in.mp4", "--seed", seed, "--size", VIDEO_SIZE)),
        run_step("predict video", cli("cardtrain", "predict", checkpoint, out / "video_in.mp4",
                                      "--out", out / "video_out.mp4", "--card", "--side-by-side")),
    ]
    val_sources = write_val_inputs(dataset, out / "val_in", SAMPLES)
    steps.append(run_step("predict val", cli("cardtrain", "predict", checkpoint, out / "val_in",
                                             "--out", out / "val_out")))
    return _write_report(out, steps, val_sources, time.perf_counter() - start)


def _write_report(out: Path, steps: list[Step], val_sources: list[Path], seconds: float) -> DemoResult:
    """Draw the report's pictures from what the commands wrote, then the page."""
    train_pairs = [read_image(p) for p in spread(sorted((out / "dataset" / "train").glob("*.jpg")), SAMPLES)]
    write_image(out / "augmented.png", tile(train_pairs, columns=2))

    rows = read_metrics(out / "run" / "metrics.csv")
    write_image(out / "curves.png", training_curves(rows))

    pairs = [read_image(p) for p in val_sources]
    inputs, targets = [p[:, : p.shape[0]] for p in pairs], [p[:, p.shape[0] :] for p in pairs]
    outputs = [read_image(out / "val_out" / f"{p.stem}.png") for p in val_sources]
    write_image(out / "before_after.png", before_after(inputs, outputs, targets))

    frames = read_video(out / "video_out.mp4")
    write_image(out / "video_strip.png", tile(spread(frames, 4), columns=4))
    half = frames[0].shape[1] // 2
    red_share = (new_red_share([f[:, :half] for f in frames], [f[:, half:] for f in frames]),
                 new_red_share(inputs, targets))

    new_photos = json.loads((out / "eval_new" / "metrics.json").read_text(encoding="utf-8"))
    result = DemoResult(out, tuple(steps), best_val_row(rows), new_photos, red_share, seconds)
    atomic_write_text(out / "report.html", render_report(result, align_table(out / "aligned" / "report.csv")))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path, help="raw pairs: RAW/A (club photos), RAW/B (heart photos)")
    parser.add_argument("out", type=Path, help="demo folder to write (its aligned/, dataset/, run/ are replaced)")
    parser.add_argument("--n", type=int, default=1000, help="train images (default 1000, as cpu-demo was tuned)")
    parser.add_argument("--val", type=int, default=100, help="val images (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the dataset, the training and the video")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: the preset's 5)")
    args = parser.parse_args(argv)
    try:
        result = run_demo(args.raw, args.out, n_train=args.n, n_val=args.val, seed=args.seed, epochs=args.epochs)
    except (DemoError, UserError) as error:  # a missing or unreadable output of a step
        print(f"error: {error}", file=sys.stderr)
        return 1
    val = result.best_val
    print(f"demo done in {result.seconds / 60:.1f} min: pip IoU {result.new_photos['pip_iou']:.3f} on new photos "
          f"(val {float(val['val_pip_iou']):.3f}), {result.red_share[0]:.1f}% of video pixels turned red "
          f"-> {result.out / 'report.html'}")
    if result.red_share[0] < 0.1:
        print("warning: the translated video shows almost no red; look at the report", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

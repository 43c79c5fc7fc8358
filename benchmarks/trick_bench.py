"""Does the model learn the suit or the backgrounds? Train on 13 pairs, score on NEW photos.

For each deck design and each training frame (the card alone, or the whole photo), the run
goes through the real commands as a user types them:

    cardprep simulate sim-train  --pairs 13 --seed S       [--deck DIR]   the 13 training pairs
    cardprep simulate sim-new    --pairs 26 --seed S+1000  [--deck DIR]   new photos, same cards
    cardprep align sim-train aligned-F --frame F
    cardprep augment aligned-F --out data-F --n 1000 --val 100 --size 128
    cardtrain fit data-F/manifest.csv --preset cpu-demo --out run-F
    cardprep align sim-new new-F --frame F
    cardtrain eval run-F/checkpoints/best.pt data-F/manifest.csv --split val   (augmentations)
    cardtrain eval run-F/checkpoints/best.pt new-F --split test               (new photos)

and, for the card frame, the new photos cut by the simulator's exact truth as well
(``cardprep.sim.heldout``), which scores the model without the product's alignment. The
photo frame is the baseline the card frame must beat in the same run.

    .venv/bin/python benchmarks/trick_bench.py --designs builtin,kennard --work /tmp/trick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardprep.sim.heldout import write_truth_pairs  # noqa: E402

DECKS = ROOT / "tests" / "fixtures" / "decks"
BIN = Path(sys.executable).parent


def run(*args: str) -> str:
    """One command as a user would type it; its stdout. Fails loudly."""
    done = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr}")
    return done.stdout


def scores(checkpoint: Path, data: Path, split: str, out: Path) -> dict[str, float]:
    run("cardtrain", "eval", str(checkpoint), str(data), "--split", split, "--out", str(out))
    return json.loads((out / "metrics.json").read_text())


def one_design(design: str, work: Path, args: argparse.Namespace) -> list[dict[str, object]]:
    deck = [] if design == "builtin" else ["--deck", str(DECKS / design)]
    sim = ["--size", args.photo_size, "--workers", str(args.workers)]
    run("cardprep", "simulate", str(work / "sim-train"), "--pairs", str(args.train_pairs), "--seed", str(args.seed),
        *deck, *sim)
    run("cardprep", "simulate", str(work / "sim-new"), "--pairs", str(args.new_pairs), "--seed",
        str(args.seed + 1000), *deck, *sim)
    write_truth_pairs(work / "sim-new", work / "new-truth", size=args.size)
    rows = []
    for frame in args.frames:
        aligned, data, run_dir, new = (work / f"{name}-{frame}" for name in ("aligned", "data", "run", "new"))
        run("cardprep", "align", str(work / "sim-train"), str(aligned), "--frame", frame)
        run("cardprep", "augment", str(aligned), "--out", str(data), "--n", str(args.n), "--val", str(args.val),
            "--size", str(args.size), "--seed", str(args.seed))
        start = time.perf_counter()
        epochs = ["--epochs", str(args.epochs)] if args.epochs else []
        run("cardtrain", "fit", str(data / "manifest.csv"), "--preset", args.preset, *epochs, "--out", str(run_dir))
        fit_seconds = time.perf_counter() - start
        run("cardprep", "align", str(work / "sim-new"), str(new), "--frame", frame)
        best = run_dir / "checkpoints" / "best.pt"
        row = {"design": design, "frame": frame, "fit_s": round(fit_seconds),
               "val": scores(best, data / "manifest.csv", "val", work / f"eval-val-{frame}"),
               "new": scores(best, new, "test", work / f"eval-new-{frame}")}
        if frame == "card":
            row["new_truth"] = scores(best, work / "new-truth", "test", work / "eval-new-truth")
        rows.append(row)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| design | frame | val pip IoU (augmented) | new photos pip IoU | new, truth-cut | new SSIM | fit |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        truth = f"{row['new_truth']['pip_iou']:.3f}" if "new_truth" in row else "-"
        lines.append(f"| {row['design']} | {row['frame']} | {row['val']['pip_iou']:.3f} | "
                     f"**{row['new']['pip_iou']:.3f}** | {truth} | {row['new']['ssim']:.3f} | {row['fit_s']} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--designs", default="builtin,kennard", help="builtin and/or folders of tests/fixtures/decks")
    parser.add_argument("--frames", default="card,photo", type=lambda s: s.split(","))
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (made new)")
    parser.add_argument("--train-pairs", type=int, default=13)
    parser.add_argument("--new-pairs", type=int, default=26)
    parser.add_argument("--photo-size", default="1600x1200")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--val", type=int, default=100)
    parser.add_argument("--size", type=int, default=128, help="model side: 128 with cpu-demo, 256 with fast/seed")
    parser.add_argument("--preset", default="cpu-demo")
    parser.add_argument("--epochs", type=int, default=0, help="0: the preset's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for design in args.designs.split(","):
        rows += one_design(design, args.work / design, args)
        print(table(rows), flush=True)
    (args.work / "trick_bench.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

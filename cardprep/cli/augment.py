"""``cardprep augment``: aligned pairs -> the 1000/300 A|B training dataset with its manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cardprep.augment import AugmentConfig, Border, build_dataset
from cardprep.cli import app
from cardprep.cli._common import err_console, progress_bar, user_errors


def parse_names(text: str) -> tuple[str, ...]:
    """'s1, s2' -> ('s1', 's2'); empty items dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


@app.command()
def augment(
    aligned: Annotated[Path, typer.Argument(help="Aligned pairs: ALIGNED/A/<stem>.png and ALIGNED/B/<stem>.png (cardprep align's output).")] = Path("aligned"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write (new, empty, or an earlier dataset, which is replaced whole).")] = Path("dataset"),
    n: Annotated[int, typer.Option("--n", help="Train images.")] = 1000,
    val: Annotated[int, typer.Option(help="Val images (0: none).")] = 300,
    size: Annotated[int, typer.Option(help="Side of each half in px: files are (2 SIZE) x SIZE, A left, B right.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed: the same input and seed give byte-identical files.")] = 0,
    holdout: Annotated[int, typer.Option(help="Keep K whole pairs (drawn by the seed) out of train; val comes from them only.")] = 0,
    val_sources: Annotated[str, typer.Option(help="Or name the pairs kept out of train, comma-separated: s1,s2.")] = "",
    rotate: Annotated[float, typer.Option(help="Rotation drawn in +-DEGREES.")] = 15.0,
    zoom: Annotated[float, typer.Option(help="Scale drawn in [1/(1+Z), 1+Z]: zooms in and out alike.")] = 0.15,
    shear: Annotated[float, typer.Option(help="x and y shear each drawn in +-DEGREES.")] = 8.0,
    shift: Annotated[float, typer.Option(help="x and y shift each drawn in +-FRACTION of the side.")] = 0.08,
    hflip: Annotated[bool, typer.Option("--hflip", help="Mirror left-right half the time (off for cards: it mirrors the rank characters).")] = False,
    vflip: Annotated[bool, typer.Option("--vflip", help="Mirror top-bottom half the time.")] = False,
    border: Annotated[Border, typer.Option(help="Fill for uncovered areas: reflect the photo, or the surface's median colour.")] = Border.REFLECT,
    jitter: Annotated[float, typer.Option(help="Brightness, contrast and saturation each x [1-J, 1+J] (0: off).")] = 0.0,
    jitter_independent: Annotated[bool, typer.Option("--jitter-independent", help="Draw B's jitter apart from A's (default: the same jitter for both halves).")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores). The files do not depend on it.")] = 0,
) -> None:
    """Write DATASET/train and DATASET/val (side-by-side A|B JPEGs) and DATASET/manifest.csv.

    Each image draws one rotation, zoom, shear and shift and applies it to both halves.

    The manifest records each image's pair, seed and parameters: any row can be made again.

    A stem without its partner is reported and skipped; an unreadable image stops the run.
    """
    start = time.perf_counter()
    with user_errors():
        config = AugmentConfig(n_train=n, n_val=val, size=size, seed=seed, holdout=holdout,
                               val_sources=parse_names(val_sources), rotate=rotate, zoom=zoom, shear=shear,
                               shift=shift, hflip=hflip, vflip=vflip, border=border, jitter=jitter,
                               jitter_independent=jitter_independent)
        with progress_bar() as bar:
            task = bar.add_task("augmenting", total=n + val)
            summary = build_dataset(aligned, out, config, workers=workers or None,
                                    on_progress=lambda done: bar.advance(task, done))
    for orphan in summary.orphans:
        err_console.print(f"[yellow]warning:[/] {escape(f'{aligned}: {orphan.stem}: {orphan.reason}')}; skipped",
                          highlight=False, soft_wrap=True)
    held = f", val from held-out {', '.join(summary.val_sources)}" if summary.val_sources else ""
    skipped = f", {len(summary.orphans)} unpaired skipped" if summary.orphans else ""
    typer.echo(f"{summary.n_train + summary.n_val} images ({summary.n_train} train, {summary.n_val} val) from "
               f"{len(summary.sources)} pairs{held}{skipped} in {time.perf_counter() - start:.1f} s -> {summary.out}")

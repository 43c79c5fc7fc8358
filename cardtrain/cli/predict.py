"""``cardtrain predict``: translate an image, a folder of images or a video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cardtrain.cli._common import app, progress_task, user_errors
from cardtrain.predict import predict


@app.command("predict")
def predict_command(
    checkpoint: Annotated[Path, typer.Argument(help="A cardtrain checkpoint (RUN/checkpoints/best.pt).")],
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="An image, a folder of images, or a video.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="OUTPUT: a video (.mp4, .avi), an image file, or a folder of PNGs.")
    ],
    side_by_side: Annotated[bool, typer.Option(help="Write input | output frames, side by side.")] = False,
    batch_size: Annotated[int, typer.Option(help="Frames per forward pass.")] = 16,
    fps: Annotated[float, typer.Option(help="Frame rate of a video made from images.")] = 25.0,
    device: Annotated[str, typer.Option(help="auto (the GPU if any), cpu, cuda, cuda:N.")] = "auto",
    workers: Annotated[int | None, typer.Option(
        help="Threads per stage (decode, resize, write) beside the model; default: the cores, at most 8. "
             "1: one thread, the plain loop. The output is the same for any number.",
    )] = None,
    card: Annotated[bool, typer.Option(
        "--card/--whole-frame",
        help="Translate the card only: find and follow it, translate its card-frame view, paste it back at the "
             "frame's own size (every other pixel unchanged). For models trained with cardprep align --frame card.",
    )] = False,
) -> None:
    """Translate INPUT with the generator of CHECKPOINT into --out.

    Deterministic (eval mode: no dropout, so video does not flicker) and batched. Whole
    frames get the training preprocessing: centre square crop, resize to the model's size.
    With --card, only the card changes: frames keep their size, frame rate and count, and a
    frame without a card passes through unchanged (counted in the summary).
    """
    with user_errors():
        with progress_task("translating") as update:
            result = predict(
                checkpoint,
                source,
                out,
                batch_size=batch_size,
                side_by_side=side_by_side,
                fps=fps,
                device=device,
                card=card,
                workers=workers,
                progress=update,
            )
        skipped = f", skipped {len(result.skipped)} unreadable" if result.skipped else ""
        if result.without_card is not None:
            skipped += f", {result.without_card} without a card passed through"
        typer.echo(
            f"translated {result.frames} frames in {result.seconds:.1f} s "
            f"({result.frames_per_s:.1f} frames/s{skipped}) -> {result.output}"
        )

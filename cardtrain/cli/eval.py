"""``cardtrain eval``: a checkpoint's metrics on a split, as JSON, and a grid image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from cardprep.common.atomic import atomic_write_json
from cardprep.common.images import write_image
from cardtrain.cli._common import app, progress_task, user_errors
from cardtrain.data import default_split
from cardtrain.evaluate import evaluate


def _default_out(checkpoint: Path, split: str) -> Path:
    """RUN/eval-SPLIT-NAME for RUN/checkpoints/NAME.pt, else next to the checkpoint."""
    base = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
    return base / f"eval-{split}-{checkpoint.stem}"


@app.command("eval")
def eval_command(
    checkpoint: Annotated[Path, typer.Argument(help="A cardtrain checkpoint (RUN/checkpoints/best.pt).")],
    data: Annotated[Path, typer.Argument(help="manifest.csv, a folder with train/ and val/, or an align output "
                                              "(A/ and B/: held-out pairs, scored as the test split).")],
    split: Annotated[Optional[str], typer.Option(help="Split to score: train, val or test [default: test for an "
                                                      "align output, else val].", show_default=False)] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out", "-o", help=escape("Folder for metrics.json and grid.jpg [default: RUN/eval-SPLIT-CKPT].")
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Images per forward pass.")] = 16,
    samples: Annotated[int, typer.Option(help="Rows (input | target | output) in grid.jpg.")] = 8,
    device: Annotated[str, typer.Option(help="auto (the GPU if any), cpu, cuda, cuda:N.")] = "auto",
) -> None:
    """Score CHECKPOINT on a split of DATA: L1, PSNR, SSIM and pip IoU, printed as JSON.

    Score NEW photos, not only the validation augmentations of the training photos: align a
    few held-out pairs (cardprep align new/ new-aligned --frame card) and pass that folder.

    The model is rebuilt from the checkpoint alone and sees the training preprocessing.
    Also writes metrics.json and grid.jpg (input | target | output rows) to --out.
    """
    with user_errors():
        split = split or default_split(data)
        with progress_task(f"scoring {split}") as update:
            result = evaluate(
                checkpoint, data, split=split, batch_size=batch_size, samples=samples, device=device, progress=update
            )
        folder = out or _default_out(checkpoint, split)
        metrics = {"checkpoint": str(checkpoint), "split": split, **result.scores.as_dict()}
        atomic_write_json(folder / "metrics.json", metrics)
        write_image(folder / "grid.jpg", result.grid)
        typer.echo(json.dumps(metrics))

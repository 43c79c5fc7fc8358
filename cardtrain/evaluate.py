"""Scoring a generator on a split of A|B pairs, and the input | target | output grids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cardtrain.checkpoint import load_generator
from cardtrain.config import Precision
from cardtrain.data import SPLITS, PairSet, batch_indices, load_split, to_bgr_images, to_float
from cardtrain.device import inference_precision, resolve_device
from cardtrain.errors import CardtrainError
from cardtrain.metrics import Scores, ScoreSum
from cardtrain.predict import translate


@dataclass(frozen=True)
class EvalResult:
    """A checkpoint's scores on a split, and a grid of its first outputs (BGR uint8)."""

    checkpoint: Path
    split: str
    scores: Scores
    grid: np.ndarray


def score_pairs(
    generator: torch.nn.Module,
    pairs: torch.Tensor,
    *,
    batch_size: int,
    device: torch.device,
    precision: Precision,
    keep: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Scores, torch.Tensor]:
    """Metrics of ``generator`` over uint8 pairs (N, 6, S, S), and its first ``keep`` outputs.

    Runs in eval mode (no dropout, running norm statistics), as ``predict`` does, then puts
    the generator back in the mode it was in.
    """
    was_training = generator.training
    generator.eval()
    sums, kept = ScoreSum(), []
    for part in batch_indices(len(pairs), batch_size):
        batch = pairs[part].to(device)
        output = translate(generator, batch[:, :3], device=device, precision=precision)
        sums.add(output, to_float(batch[:, 3:]), to_float(batch[:, :3]))
        if sum(len(k) for k in kept) < keep:
            kept.append(output.cpu())
        if progress is not None:
            progress(part.stop, len(pairs))
    generator.train(was_training)
    outputs = torch.cat(kept)[:keep] if kept else torch.empty(0, 3, *pairs.shape[2:])
    return sums.mean(), outputs


def sample_grid(pairs: torch.Tensor, outputs: torch.Tensor) -> np.ndarray:
    """One row per pair, input | target | output: (rows * S, 3 * S, 3) BGR uint8."""
    rows = min(len(pairs), len(outputs))
    if rows == 0:
        raise CardtrainError("no images to put in a grid")
    pairs = to_float(pairs[:rows].cpu())
    columns = [to_bgr_images(pairs[:, :3]), to_bgr_images(pairs[:, 3:]), to_bgr_images(outputs[:rows])]
    return np.concatenate([np.concatenate(row, axis=1) for row in zip(*columns)], axis=0)


def evaluate(
    checkpoint: Path,
    data: Path,
    *,
    split: str = "val",
    batch_size: int = 16,
    samples: int = 8,
    device: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Score a checkpoint on ``split`` of a manifest or folder, with its own preprocessing.

    The options are checked before anything is loaded or scored."""
    if split not in SPLITS:
        raise CardtrainError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    if batch_size < 1 or samples < 1:
        raise CardtrainError(f"--batch-size and --samples must be at least 1, got {batch_size} and {samples}")
    target = resolve_device(device)
    generator, config = load_generator(checkpoint, target)
    pairs: PairSet = load_split(data, split, size=config.crop_size, direction=config.direction)
    if not len(pairs):
        raise CardtrainError(f"{data}: no {split} images")
    scores, outputs = score_pairs(
        generator,
        pairs.pairs,
        batch_size=batch_size,
        device=target,
        precision=inference_precision(target, config.precision),
        keep=samples,
        progress=progress,
    )
    return EvalResult(Path(checkpoint), split, scores, sample_grid(pairs.pairs, outputs))

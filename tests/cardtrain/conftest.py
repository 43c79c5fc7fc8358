"""Tiny synthetic A|B datasets: a white card with black club-like pips on the left half, the
same card with red heart-like pips on the right, on a random background."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from cardtrain.checkpoint import REQUIRED, save_checkpoint
from cardtrain.config import TrainConfig
from cardtrain.models import build_generator, init_weights

# Small enough that a step takes milliseconds on a CPU, deep enough for three dropout blocks.
TINY = TrainConfig(
    crop_size=32,
    load_size=36,
    flip=True,
    depth=5,
    ngf=8,
    ndf=8,
    d_layers=2,
    norm="instance",
    batch_size=2,
    epochs=2,
    log_every=1,
    samples=2,
)


def _club(image: np.ndarray, x: int, y: int, r: int) -> None:
    for dx, dy in ((0, -r), (-r, r // 2), (r, r // 2)):
        cv2.circle(image, (x + dx, y + dy), r, (20, 20, 20), -1, cv2.LINE_AA)
    cv2.line(image, (x, y), (x, y + 2 * r), (20, 20, 20), max(1, r // 2), cv2.LINE_AA)


def _heart(image: np.ndarray, x: int, y: int, r: int) -> None:
    red = (40, 30, 210)  # BGR
    cv2.circle(image, (x - r // 2 - 1, y - r // 3), r, red, -1, cv2.LINE_AA)
    cv2.circle(image, (x + r // 2 + 1, y - r // 3), r, red, -1, cv2.LINE_AA)
    triangle = np.array([[x - 3 * r // 2 - 1, y], [x + 3 * r // 2 + 1, y], [x, y + 2 * r]], np.int32)
    cv2.fillConvexPoly(image, triangle, red, cv2.LINE_AA)


def draw_pair(rng: np.random.Generator, size: int) -> np.ndarray:
    """One side-by-side A|B image (size x 2 size, BGR uint8)."""
    scale = 4  # draw large, then shrink: smooth edges at tiny sizes
    s = size * scale
    background = rng.integers(40, 160, 3).tolist()
    a = np.full((s, s, 3), background, np.uint8)
    w, h = int(s * 0.55), int(s * 0.8)
    x0, y0 = int(rng.integers(0, s - w)), int(rng.integers(0, s - h))
    cv2.rectangle(a, (x0, y0), (x0 + w, y0 + h), (245, 245, 245), -1)
    b = a.copy()
    r = max(2, s // 16)
    for _ in range(int(rng.integers(1, 4))):
        x = int(rng.integers(x0 + 2 * r, x0 + w - 2 * r))
        y = int(rng.integers(y0 + 2 * r, y0 + h - 3 * r))
        _club(a, x, y, r)
        _heart(b, x, y, r)
    pair = np.concatenate([a, b], axis=1)
    return cv2.resize(pair, (2 * size, size), interpolation=cv2.INTER_AREA)


def make_dataset(root: Path, *, size: int = 32, train: int = 8, val: int = 4, seed: int = 0) -> Path:
    """Write root/train/*.png, root/val/*.png and root/manifest.csv; return root."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, count in (("train", train), ("val", val)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            path = root / split / f"{split}_{i:03d}.png"
            cv2.imwrite(str(path), draw_pair(rng, size))
            rows.append({"path": f"{split}/{path.name}", "split": split, "source": f"card{i % 3}", "seed": i})
    with (root / "manifest.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, ["path", "split", "source", "seed"])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 train + 4 val pairs of 32 px halves, with a manifest."""
    return make_dataset(tmp_path_factory.mktemp("tiny_data"))


def save_untrained(path: Path, config: TrainConfig = TINY, *, seed: int = 0) -> Path:
    """A checkpoint of an untrained generator of ``config`` (weights from ``seed``): enough for
    predict, whose speed and determinism do not depend on training."""
    generator = build_generator(config)
    init_weights(generator, torch.Generator().manual_seed(seed))
    save_checkpoint(path, {key: None for key in REQUIRED} | {
        "config": config.to_dict(), "generator": generator.state_dict(), "step": 0, "epoch": 0})
    return path


def write_disc_clip(path: Path, *, frames: int, fps: float, start: int, step: int,
                    colour: Callable[[int], tuple[int, int, int]] = lambda i: (20, 20, 20)) -> Path:
    """A 96x64 mp4 of a disc crossing a green table: frame i has the disc at x = start + step * i."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (96, 64))
    for i in range(frames):
        frame = np.full((64, 96, 3), (60, 120, 40), np.uint8)
        cv2.circle(frame, (start + step * i, 32), 10, colour(i), -1)
        writer.write(frame)
    writer.release()
    return path

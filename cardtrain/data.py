"""Reading A|B datasets (Contract 3), the shared preprocessing, and jitter on the device.

Conventions:
- On disk an image is side-by-side ``A|B``: A (the input domain) on the left half, B on the
  right, both square. OpenCV reads it as ``(H, 2H, 3)`` uint8 **BGR**.
- In memory a split is a :class:`PairSet`: ``(N, 6, S, S)`` uint8 **RGB**, channels 0-2 the
  model input and 3-5 the target (so ``--direction BtoA`` is applied once, at load).
- The model sees ``(B, 3, S, S)`` float RGB in [-1, 1].

Preprocessing is one function, :func:`to_model_rgb`, used by training, ``eval`` and
``predict`` alike, so the model never sees a different resize or channel order at inference.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cardprep.common.images import IMAGE_EXTENSIONS, read_image, square_resize
from cardtrain.errors import CardtrainError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class PairSet:
    """One split in memory: ``pairs`` (N, 6, S, S) uint8 RGB, input then target; ``paths`` per row."""

    pairs: torch.Tensor
    paths: tuple[Path, ...]

    def __len__(self) -> int:
        return len(self.paths)


def to_model_rgb(image_bgr: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size``: (H, W, 3) BGR -> (size, size, 3) RGB uint8.

    The crop and resize are :func:`cardprep.common.images.square_resize`, the same as
    ``cardprep frames``. Dataset halves are already square, so the crop only matters for
    ``predict`` on photos and video frames.
    """
    return np.ascontiguousarray(square_resize(image_bgr, size)[:, :, ::-1])


def split_pair(image_bgr: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The (A, B) halves of a side-by-side image; its width must be twice its height."""
    h, w = image_bgr.shape[:2]
    if w != 2 * h:
        raise CardtrainError(f"{path}: is {w}x{h}, but an A|B pair must be twice as wide as high (e.g. 512x256)")
    return image_bgr[:, :h], image_bgr[:, h:]


def _read_manifest(manifest: Path) -> dict[str, list[Path]]:
    """Split name -> image paths from a Contract 3 manifest (paths relative to its folder)."""
    try:
        with manifest.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CardtrainError(f"{manifest}: cannot read this manifest ({error})") from error
    columns = set(rows[0]) if rows else set()
    missing = {"path", "split"} - columns
    if missing:
        raise CardtrainError(
            f"{manifest}: missing column(s) {', '.join(sorted(missing))}; "
            f"a manifest needs 'path' and 'split' (found: {', '.join(sorted(columns)) or 'no rows'})"
        )
    splits: dict[str, list[Path]] = {}
    for line, row in enumerate(rows, start=2):
        if row["split"] not in SPLITS:
            raise CardtrainError(f"{manifest}, line {line}: split {row['split']!r} is not one of {', '.join(SPLITS)}")
        path = manifest.parent / row["path"]
        if not path.is_file():
            raise CardtrainError(f"{manifest}, line {line}: {row['path']} does not exist (looked for {path})")
        splits.setdefault(row["split"], []).append(path)
    return splits


def list_split(data: Path, split: str) -> list[Path]:
    """The image paths of ``split`` in a manifest.csv, a folder with ``train/``, ``val/``... or
    an align output (Contract 2: ``A/`` and ``B/``), whose pairs are all the ``test`` split.

    An align output of new photos is how held-out pairs are scored: augmentations of the
    training photos say little about new footage. Its paths are the A files; the B file of
    each has the same name in ``B/``.
    """
    data = Path(data)
    if data.is_file():
        return _read_manifest(data).get(split, [])
    if not data.is_dir():
        raise CardtrainError(f"{data}: does not exist (expected a manifest.csv, a folder with train/ and val/, "
                             "or an align output with A/ and B/)")
    if _is_align_output(data):
        return [a for a in _images(data / "A") if (data / "B" / a.name).is_file()] if split == "test" else []
    return _images(data / split)


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def _is_align_output(folder: Path) -> bool:
    return (folder / "A").is_dir() and (folder / "B").is_dir()


def default_split(data: Path) -> str:
    """The split to score when none is named: ``test`` for an align output, else ``val``."""
    return "test" if Path(data).is_dir() and _is_align_output(Path(data)) else "val"


def _load_pair(path: Path, size: int, swap: bool) -> np.ndarray:
    if path.parent.name == "A" and _is_align_output(path.parent.parent):
        a, b = read_image(path), read_image(path.parent.parent / "B" / path.name)
    else:
        a, b = split_pair(read_image(path), path)
    if swap:
        a, b = b, a
    return np.concatenate([to_model_rgb(a, size), to_model_rgb(b, size)], axis=2)  # (S, S, 6)


def load_split(data: Path, split: str, *, size: int, direction: str = "AtoB", workers: int = 4) -> PairSet:
    """Decode every pair of ``split`` once into a uint8 :class:`PairSet` (halves resized to ``size``).

    Decoding is threaded (OpenCV releases the GIL). An empty split gives an empty PairSet.
    """
    paths = list_split(data, split)
    if not paths:
        return PairSet(torch.empty(0, 6, size, size, dtype=torch.uint8), ())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        arrays = list(pool.map(lambda p: _load_pair(p, size, direction == "BtoA"), paths))
    pairs = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()  # (N, 6, S, S)
    return PairSet(pairs, tuple(paths))


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], any shape."""
    return images.float().div_(127.5).sub_(1.0)


def to_bgr_images(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) float RGB in [-1, 1] -> (B, H, W, 3) uint8 BGR for OpenCV."""
    rgb = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return np.ascontiguousarray(rgb.permute(0, 2, 3, 1).cpu().numpy()[..., ::-1])


@dataclass(frozen=True)
class Jitter:
    """The random part of one batch's jitter: crop offsets (B, 2) as (x, y) pixels of the
    upscaled image, and horizontal flips (B,) bool. Drawn by :func:`draw_jitter`."""

    offsets: torch.Tensor
    flips: torch.Tensor


def draw_jitter(n: int, *, crop_size: int, load_size: int, flip: bool, generator: torch.Generator) -> Jitter:
    """Draw crop offsets in [0, load - crop] and flips, on the generator's device."""
    device = generator.device
    offsets = torch.randint(0, load_size - crop_size + 1, (n, 2), generator=generator, device=device)
    flips = torch.rand(n, generator=generator, device=device) < 0.5
    return Jitter(offsets, flips if flip else torch.zeros_like(flips))


def apply_jitter(pairs: torch.Tensor, jitter: Jitter, *, load_size: int) -> torch.Tensor:
    """uint8 (B, C, S, S) -> float in [-1, 1]: resized to ``load_size``, cropped back to S at the
    offsets, flipped; all in one grid_sample.

    Equal to ``F.interpolate(bilinear, align_corners=False)`` then a crop (and a flip), but
    one kernel on the whole batch, with per-sample offsets, wherever ``pairs`` lives. The same
    draw applies to all C channels, so input and target stay registered.
    """
    b, _, s, _ = pairs.shape
    x = to_float(pairs)
    scale = s / load_size
    # Output pixel i samples upscaled pixel offset + i, i.e. normalised source coordinate
    # scale * (u + 1) + 2 * offset / load - 1, with u the output's normalised coordinate.
    shift = scale - 1 + 2 * jitter.offsets.to(x) / load_size  # (B, 2) as (x, y)
    sign_x = 1 - 2 * jitter.flips.to(x)  # a flip mirrors the output's x axis
    theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = scale * sign_x
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, [b, 1, s, s], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def batch_indices(n: int, batch_size: int) -> Sequence[slice]:
    """Consecutive slices of at most ``batch_size`` covering ``range(n)``."""
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]

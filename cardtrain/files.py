"""Atomic outputs: a reader, or a crash, never sees a half-written file."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cardtrain.errors import CardtrainError


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write to; it replaces ``path`` only if the block
    succeeds. The temporary name keeps the suffix, since some writers (VideoWriter) choose the
    container from it."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # os.open with 0o666 honours the umask (mkstemp would leave every output 0600)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as error:
        raise CardtrainError(f"{path.parent}: cannot write here ({error.strerror})") from error
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path, value: Any) -> None:
    write_bytes(path, (json.dumps(value, indent=2) + "\n").encode("utf-8"))


def write_image(path: Path, image_bgr: np.ndarray) -> None:
    """Encode by the path's suffix (JPEG at quality 95) and write atomically."""
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix.lower() in (".jpg", ".jpeg") else []
    ok, encoded = cv2.imencode(path.suffix, image_bgr, params)
    if not ok:
        raise CardtrainError(f"{path}: OpenCV cannot encode an image with this suffix")
    write_bytes(path, encoded.tobytes())

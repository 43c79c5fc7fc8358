"""Time cardprep.common.images.read_image against a bare ``cv2.imdecode`` (cardtrain's former
reader) on the same JPEGs, in 1, 2 and 4 threads (cardtrain's load_split decodes in threads).

read_image also checks the file's end and header and captures libjpeg's stderr lines to name
the file; the capture holds a process-wide lock (file descriptor 2 is shared), so threads
decoding JPEGs take turns. Run: ``.venv/bin/python benchmarks/read_image_bench.py``.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from cardprep.common.images import read_image


def bare_imdecode(path: Path) -> np.ndarray:
    return cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)


def best_of(reader, paths: list[Path], workers: int, repeats: int = 9) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(reader, paths))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index in range(64):  # A|B pairs as a dataset holds them: 512x256, quality 95
            image = cv2.GaussianBlur(rng.integers(0, 256, (256, 512, 3), dtype=np.uint8), (7, 7), 2)
            paths.append(Path(folder) / f"{index}.jpg")
            cv2.imwrite(str(paths[-1]), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        for workers in (1, 2, 4):
            base, ours = best_of(bare_imdecode, paths * 4, workers), best_of(read_image, paths * 4, workers)
            print(f"{workers} thread(s), 256 reads of a 512x256 JPEG: bare imdecode {base * 1e3:.0f} ms, "
                  f"read_image {ours * 1e3:.0f} ms, ratio {ours / base:.2f}")


if __name__ == "__main__":
    main()

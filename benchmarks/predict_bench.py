"""Video translation throughput: batched `cardtrain predict` against frame by frame, same run.

Both rows run the whole product path, `cardtrain.predict.predict` on an mp4: decode,
centre-crop and resize, the generator in eval mode, encode. Only --batch differs. The
generator is untrained (weights do not change its speed); its size is an option:

    python benchmarks/predict_bench.py                        # CPU: the cpu-demo model
    python benchmarks/predict_bench.py --size 256 --ngf 64    # the seed's model (GPU)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from cardtrain.checkpoint import REQUIRED, save_checkpoint
from cardtrain.config import CPU_DEMO, FAST
from cardtrain.models import build_generator, init_weights
from cardtrain.predict import predict


def write_clip(path: Path, *, frames: int, width: int = 640, height: int = 480) -> Path:
    """A card-like white rectangle moving over a textured table."""
    rng = np.random.default_rng(0)
    table = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 5)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (width, height))
    for i in range(frames):
        frame = table.copy()
        x = 150 + 3 * i
        cv2.rectangle(frame, (x, 120), (x + 170, 360), (240, 240, 240), -1)
        cv2.circle(frame, (x + 85, 240), 30, (20, 20, 20), -1)
        writer.write(frame)
    writer.release()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cuda = torch.cuda.is_available()
    preset = FAST if cuda else CPU_DEMO
    parser.add_argument("--size", type=int, default=preset.crop_size, help="model size in px (power of 2)")
    parser.add_argument("--ngf", type=int, default=preset.ngf, help="generator width")
    parser.add_argument("--frames", type=int, default=256 if cuda else 96, help="frames in the clip")
    parser.add_argument("--batch", type=int, default=32 if cuda else 16, help="batch of the batched row")
    args = parser.parse_args()

    config = preset.override(crop_size=args.size, load_size=args.size, depth=args.size.bit_length() - 1, ngf=args.ngf)
    generator = build_generator(config)
    init_weights(generator, torch.Generator().manual_seed(0))
    name = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {name}; torch {torch.__version__}; {args.size} px, ngf {args.ngf}, {args.frames} frames of 640x480")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        checkpoint = root / "g.pt"
        save_checkpoint(checkpoint, {key: None for key in REQUIRED} | {
            "config": config.to_dict(), "generator": generator.state_dict(), "step": 0, "epoch": 0
        })  # fmt: skip
        clip = write_clip(root / "clip.mp4", frames=args.frames)
        warm = write_clip(root / "warm.mp4", frames=args.batch)
        rows = []
        for label, batch in (("frame by frame (batch 1)", 1), (f"batched (batch {args.batch})", args.batch)):
            predict(checkpoint, warm, root / "warm_out.mp4", batch_size=batch)  # allocations, kernel choice
            result = predict(checkpoint, clip, root / f"out_{batch}.mp4", batch_size=batch)
            rows.append((label, result.frames_per_s))
    for label, rate in rows:
        print(f"{label:<28} {rate:8.1f} frames/s   x{rate / rows[0][1]:5.2f}")


if __name__ == "__main__":
    main()

"""Video translation throughput: the plain loop against the threaded pipeline, same run.

Every row runs the whole product path, `cardtrain.predict.predict` on a 640x480 mp4 of a
simulated card sliding over a table: decode, the model stage, encode. The reference is the
plain loop (`workers=1`: decode, resize, model and encode take turns in one thread); the
pipelined rows decode, resize and encode in threads beside the model (`cardtrain.pipeline`).
Whole frames: centre crop and resize to the model's size; --card: detect, follow, rectify,
translate and paste back at 640x480 (`cardtrain.card_trick`). The generator is untrained
(weights do not change its speed); its size is an option:

    python benchmarks/predict_bench.py                        # CPU: the cpu-demo model
    python benchmarks/predict_bench.py --size 256 --ngf 64    # the seed's model (GPU)

On a busy CPU, compare with ``--torch-threads 1``: the pipelined rows run the model in a
thread of their own, and on the shared 2-core machine (load ~4) torch's two OpenMP threads
ran the cpu-demo generator at 18 frames/s from the main thread but 182 from another thread
(and 179-208 with one thread in either), which would be credited to the pipeline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch

from cardprep.common.video import VideoWriter
from cardprep.sim import plan_clip, render_clip
from cardtrain.checkpoint import REQUIRED, save_checkpoint
from cardtrain.config import CPU_DEMO, FAST
from cardtrain.models import build_generator, init_weights
from cardtrain.predict import predict


def write_clip(path: Path, *, frames: int, width: int = 640, height: int = 480) -> Path:
    """A simulated card sliding and turning over a table, at 30 fps."""
    with VideoWriter(path, 30.0) as video:
        for frame in render_clip(plan_clip(frames=frames, size=(width, height), seed=0)):
            video.write(frame)
    return path


def timed(checkpoint: Path, clip: Path, out: Path, *, batch: int, workers: int | None, card: bool) -> float:
    """Frames per second of one predict run (the run's own clock: model loading excluded)."""
    return predict(checkpoint, clip, out, batch_size=batch, workers=workers, card=card).frames_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cuda = torch.cuda.is_available()
    preset = FAST if cuda else CPU_DEMO
    parser.add_argument("--size", type=int, default=preset.crop_size, help="model size in px (power of 2)")
    parser.add_argument("--ngf", type=int, default=preset.ngf, help="generator width")
    parser.add_argument("--frames", type=int, default=256 if cuda else 96, help="frames in the clip")
    parser.add_argument("--batch", type=int, default=32 if cuda else 16, help="frames per forward pass")
    parser.add_argument("--workers", type=int, default=None, help="threads per stage of the pipelined rows")
    parser.add_argument("--repeat", type=int, default=3, help="times each row runs (the machine may be busy)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads for both rows (default: torch's own choice); see the note above")
    args = parser.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    config = preset.override(crop_size=args.size, load_size=args.size, depth=args.size.bit_length() - 1, ngf=args.ngf)
    generator = build_generator(config)
    init_weights(generator, torch.Generator().manual_seed(0))
    name = torch.cuda.get_device_name() if cuda else f"CPU ({os.cpu_count()} cores, torch {torch.get_num_threads()} threads)"
    print(f"device: {name}; torch {torch.__version__}; {args.size} px, ngf {args.ngf}, batch {args.batch}, "
          f"{args.frames} frames of 640x480; load average {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        checkpoint = root / "g.pt"
        save_checkpoint(checkpoint, {key: None for key in REQUIRED} | {
            "config": config.to_dict(), "generator": generator.state_dict(), "step": 0, "epoch": 0
        })  # fmt: skip
        clip = write_clip(root / "clip.mp4", frames=args.frames)
        predict(checkpoint, clip, root / "warm.mp4", batch_size=args.batch)  # allocations, kernel choice
        for card in (False, True):
            for run in range(1, args.repeat + 1):
                plain = timed(checkpoint, clip, root / "plain.mp4", batch=args.batch, workers=1, card=card)
                piped = timed(checkpoint, clip, root / "piped.mp4", batch=args.batch, workers=args.workers, card=card)
                print(f"{'--card' if card else 'whole frame':<12} run {run}: plain loop {plain:7.1f} frames/s, "
                      f"pipelined {piped:7.1f} frames/s   x{piped / plain:5.2f}   (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()

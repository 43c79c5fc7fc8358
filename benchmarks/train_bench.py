"""Training throughput: cardtrain's `fast` path against a reference-style loop, same run.

Rows (images/s, and the ratio to the reference):
- reference: the paper's recipe as most implementations run it: fp32, batch 1, batch norm,
  D called on real and fake separately, non-fused Adam, the loss read back every step. Its
  data costs nothing (batches are made on the device before timing), so the ratio is
  conservative: a real reference loop also decodes and crops every image on the CPU.
- fast: `cardtrain.train.fit` itself with the `fast` preset (device-resident uint8 data,
  on-device jitter, channels_last, bf16, instance norm, batch --batch), timed step by step
  from its progress callback, which also runs one reference step after each fast step: the
  ratio compares the two under the same load (medians of per-step rates).
- fast, fp32 (CPU only): the same with --precision fp32, because bf16 is emulated on CPUs
  without AVX512-BF16/AMX and says nothing about the GPU; with --fp16, also fp16 (emulated
  on CPUs without AVX512-FP16/AMX-FP16).

Sizes are options: the default is the real model at 256 px on a GPU and a small one on a
CPU, so a CPU run stays well under two minutes. Example:

    python benchmarks/train_bench.py                       # CPU: 128 px, ngf 16
    python benchmarks/train_bench.py --size 256 --ngf 64   # the seed's model (GPU)
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from cardtrain.config import FAST, SEED, TrainConfig
from cardtrain.losses import discriminator_loss, generator_losses
from cardtrain.models import build_discriminator, build_generator, init_weights
from cardtrain.train import fit


class _Stop(Exception):
    """Raised from fit's progress callback when a row's time is up."""


def write_dataset(root: Path, *, count: int, size: int) -> Path:
    """Random A|B pairs (content does not change the speed of a fixed-size network)."""
    rng = np.random.default_rng(0)
    (root / "train").mkdir(parents=True)
    for i in range(count):
        pair = rng.integers(0, 256, (size, 2 * size, 3), dtype=np.uint8)
        cv2.imwrite(str(root / "train" / f"{i:04d}.png"), pair)
    return root


def reference_step(config: TrainConfig, device: torch.device) -> Callable[[], None]:
    """One step of the reference loop (fp32, batch 1, batch norm), warmed up."""
    config = config.override(batch_size=1, norm="batch", precision="fp32")
    generator, discriminator = build_generator(config), build_discriminator(config)
    init_weights(generator, torch.Generator().manual_seed(0))  # on the CPU: the generator is a CPU one
    init_weights(discriminator, torch.Generator().manual_seed(0))
    generator, discriminator = generator.to(device), discriminator.to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    pair = torch.rand(1, 6, config.crop_size, config.crop_size, device=device) * 2 - 1

    def step() -> None:
        real_a, real_b = pair[:, :3], pair[:, 3:]
        fake_b = generator(real_a)
        loss_d = discriminator_loss(discriminator(real_a, real_b), discriminator(real_a, fake_b.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        discriminator.requires_grad_(False)
        loss_g = generator_losses(discriminator(real_a, fake_b), fake_b, real_b, l1_weight=100.0)[0]
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        discriminator.requires_grad_(True)
        loss_g.item()  # reference loops read the loss back every step (and it waits for the GPU)

    for _ in range(3):
        step()
    return step


def interleaved_rates(
    data: Path, config: TrainConfig, device: torch.device, seconds: float, reference: Callable[[], None]
) -> tuple[list[float], list[float]]:
    """Images/s of `fit` itself, step by step, each step followed by one reference step.

    Interleaving puts both under the same load: on a shared machine a burst of another
    process's work would otherwise land on one row only. fit's first step is warm-up.
    """
    fast: list[float] = []
    ref: list[float] = []
    start, last_end = time.perf_counter(), None

    def between_steps(step: int, total: int, stats: object) -> None:
        nonlocal last_end
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # the fast step is done, not just queued
        now = time.perf_counter()
        if last_end is not None:
            fast.append(config.batch_size / (now - last_end))
        reference()
        ref.append(1 / (time.perf_counter() - now))
        if len(fast) >= 2 and now - start > seconds:
            raise _Stop
        last_end = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        try:
            fit(data, Path(tmp) / "run", config, device=str(device), progress=between_steps)
        except _Stop:
            pass
    return fast, ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cuda = torch.cuda.is_available()
    parser.add_argument("--size", type=int, default=256 if cuda else 128, help="crop size in px (power of 2)")
    parser.add_argument("--ngf", type=int, default=64 if cuda else 16, help="generator and discriminator width")
    parser.add_argument("--batch", type=int, default=FAST.batch_size, help="batch size of the fast path")
    parser.add_argument("--seconds", type=float, default=10.0, help="timing per row")
    parser.add_argument("--compile", action="store_true", help="torch.compile the fast path")
    parser.add_argument("--fp16", action="store_true", help="CPU: add a row with fp16 autocast (emulated on most CPUs)")
    args = parser.parse_args()
    # The timing data has no val split on purpose (nothing is validated while timing).
    logging.getLogger("cardtrain").addFilter(lambda record: "no val split" not in record.getMessage())

    device = torch.device("cuda" if cuda else "cpu")
    name = torch.cuda.get_device_name(device) if cuda else f"CPU ({torch.get_num_threads()} threads)"
    depth = args.size.bit_length() - 1
    model = dict(crop_size=args.size, depth=depth, ngf=args.ngf, ndf=args.ngf, log_every=10**9)
    reference_config = SEED.override(**model)
    fast = FAST.override(**model, load_size=args.size + args.size // 8, batch_size=args.batch, compile=args.compile,
                         eval_every=10**9)  # fmt: skip
    print(f"device: {name}; torch {torch.__version__}; {args.size} px, ngf = ndf = {args.ngf}, depth {depth}")

    variants = [(f"fast ({fast.precision}, batch {args.batch}, instance norm)", fast)]
    if not cuda:
        variants.append((f"fast with fp32 (batch {args.batch})", fast.override(precision="fp32")))
        if args.fp16:
            variants.append((f"fast with fp16 (batch {args.batch})", fast.override(precision="fp16")))
    reference = reference_step(reference_config, device)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_dataset(Path(tmp) / "data", count=max(64, 2 * args.batch), size=args.size)
        rows = [(label, *interleaved_rates(data, cfg, device, args.seconds, reference)) for label, cfg in variants]
    reference_rate = statistics.median(r for _, _, ref in rows for r in ref)
    print(f"{'reference (fp32, batch 1, batch norm)':<44} {reference_rate:9.2f} images/s")
    for label, fast_rates, ref_rates in rows:
        rate, ratio = statistics.median(fast_rates), statistics.median(fast_rates) / statistics.median(ref_rates)
        print(f"{label:<44} {rate:9.2f} images/s   x{ratio:6.2f} the reference steps interleaved with it")
    best = max(statistics.median(f) for _, f, _ in rows)
    print(f"seed schedule (50 epochs x 1000 images) at the best fast rate: {50_000 / best / 60:.1f} min at this size")
    print(f"load average after the run (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

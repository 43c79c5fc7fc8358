"""The pix2pix training loop (Contract 4), read top to bottom.

One function, :func:`fit`, does a whole run: data, models, optimisers, the loop, validation,
checkpoints. It runs the same on a CPU, one GPU, or N processes under ``torchrun`` (DDP:
each process takes its shard of every epoch, gradients are averaged, rank 0 alone writes).

The data path is the same everywhere: each split is decoded once into a uint8 tensor, kept
on the device with ``data_on_device`` (1000 pairs at 256 px are 393 MB), and each batch is
jittered where it lives by one ``grid_sample`` (resize to load_size, random crop, flip).
Resuming restores weights, optimisers, grad scaler, step and every RNG stream, so a resumed
CPU run ends with the same weights, bit for bit, as one that was never stopped.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from cardtrain import distributed
from cardtrain.checkpoint import link_checkpoint, load_checkpoint, load_weights, save_checkpoint
from cardtrain.config import SEED, TrainConfig
from cardtrain.data import apply_jitter, draw_jitter, load_split, to_float
from cardtrain.device import autocast, warn_slow_precision
from cardtrain.errors import CardtrainError
from cardtrain.evaluate import sample_grid, score_pairs
from cardtrain.files import write_bytes, write_image, write_json
from cardtrain.losses import discriminator_loss, generator_losses
from cardtrain.metrics import Scores
from cardtrain.models import build_discriminator, build_generator, init_weights

log = logging.getLogger("cardtrain")

Progress = Callable[[int, int, Mapping[str, float]], None]
METRIC_COLUMNS = (
    "step", "epoch", "images_per_s", "lr", "loss_d", "loss_g_gan", "loss_g_l1",
    "val_l1", "val_psnr", "val_ssim", "val_pip_iou",
)  # fmt: skip


@dataclass(frozen=True)
class FitResult:
    """A finished (or resumed and finished) run."""

    run: Path
    steps: int
    start_step: int  # 0 for a new run, the checkpoint's step for a resumed one
    epochs: int
    seconds: float
    images_per_s: float
    val: Scores | None
    best_val_l1: float | None


class MetricsLog:
    """``metrics.csv``: kept in memory and rewritten atomically, so a kill never leaves a torn
    row; on resume, rows after the checkpoint's step are dropped (they are re-done)."""

    def __init__(self, path: Path, *, resume_step: int | None) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        if resume_step is not None and path.is_file():
            with path.open(newline="") as file:
                self.rows = [r for r in csv.DictReader(file) if int(r["step"]) <= resume_step]

    def append(self, row: Mapping[str, Any]) -> None:
        self.rows.append({k: _fmt(row.get(k)) for k in METRIC_COLUMNS})
        text = io.StringIO()
        writer = csv.DictWriter(text, METRIC_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        write_bytes(self.path, text.getvalue().encode())


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _rng_state(jitter_rng: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    state = {"torch": torch.get_rng_state(), "jitter": jitter_rng.get_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: Mapping[str, torch.Tensor], jitter_rng: torch.Generator, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    jitter_rng.set_state(state["jitter"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def _prepare_run(out: Path, config: TrainConfig | None, resume: bool, is_main: bool) -> tuple[TrainConfig, Any]:
    """The run's config, and its latest checkpoint when resuming (else None).

    Only rank 0 checks that a new run's folder is free: it writes there, and by the time
    another process looked, rank 0 may already have started to.
    """
    if not resume:
        if is_main and out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CardtrainError(f"{out}: already exists and is not empty; pass --resume {out} or another --out")
        return config or SEED, None
    checkpoint = load_checkpoint(out / "checkpoints" / "latest.pt")
    if config is not None and config != checkpoint.config:
        raise CardtrainError(f"{out}: a resumed run keeps the config it was started with ({out}/config.json)")
    return checkpoint.config, checkpoint


def _lr_at(step: int, total: int, config: TrainConfig) -> float:
    """Constant, then (with lr_decay) linear to zero over the last lr_decay of the run."""
    decay_steps = round(config.lr_decay * total)
    if decay_steps == 0:
        return config.lr
    return config.lr * min(1.0, (total - step) / decay_steps)


def _maybe_compile(model: nn.Module, config: TrainConfig) -> nn.Module:
    return torch.compile(model) if config.compile else model


def fit(
    data: Path | None,
    out: Path,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    device: str = "auto",
    progress: Progress | None = None,
) -> FitResult:
    """Train pix2pix on ``data`` (manifest.csv or folder with train/, val/) into run folder ``out``.

    With ``resume``, ``out`` is an existing run: its latest.pt gives config, weights and
    step, and ``data`` may be None (the path in its config.json is used). ``progress`` is
    called after every step with (step, total steps, latest stats).
    """
    context = distributed.setup(device)
    try:
        return _fit(data, Path(out), config, resume, context, progress)
    finally:
        distributed.teardown(context)


def _fit(
    data: Path | None,
    out: Path,
    config: TrainConfig | None,
    resume: bool,
    context: distributed.Context,
    progress: Progress | None,
) -> FitResult:
    device, rank, world = context.device, context.rank, context.world_size
    config, checkpoint = _prepare_run(out, config, resume, context.is_main)
    if checkpoint is not None and checkpoint.state["world_size"] != world:
        trained_by = checkpoint.state["world_size"]
        raise CardtrainError(f"{out}: was trained by {trained_by} processes, resume it with as many")
    if data is None:
        data = Path(json.loads((out / "config.json").read_text())["data"])
    warn_slow_precision(device, config.precision)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick the fastest kernels

    # -- data: decoded once; uint8 on the device, or pinned in host memory ---------------------
    train = load_split(data, "train", size=config.crop_size, direction=config.direction)
    val = load_split(data, "val", size=config.crop_size, direction=config.direction)
    if len(train) < config.batch_size * world:
        raise CardtrainError(f"{data}: {len(train)} train images, fewer than one batch ({config.batch_size} x {world})")
    data_device = device if config.data_on_device else torch.device("cpu")
    train_pairs, val_pairs = train.pairs.to(data_device), val.pairs.to(data_device)
    if device.type == "cuda" and not config.data_on_device:
        train_pairs = train_pairs.pin_memory()
    jitter_on = config.load_size > config.crop_size or config.flip
    # DistributedSampler shuffles with (seed, epoch): the same permutation in every process,
    # each taking its own slice; with one process it is a plain seeded shuffle.
    sampler = DistributedSampler(range(len(train)), world, rank, shuffle=True, seed=config.seed, drop_last=True)
    steps_per_epoch = len(sampler) // config.batch_size
    total_steps = steps_per_epoch * config.epochs
    eval_every = config.eval_every or steps_per_epoch

    # -- models and optimisers: the same init in every process -----------------------------------
    init_rng = torch.Generator().manual_seed(config.seed)
    generator, discriminator = build_generator(config), build_discriminator(config)
    init_weights(generator, init_rng)
    init_weights(discriminator, init_rng)
    if world > 1 and config.norm == "batch":
        if device.type == "cuda":  # per-process batch statistics would differ: share them
            generator = nn.SyncBatchNorm.convert_sync_batchnorm(generator)
            discriminator = nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
        else:
            log.warning("batch norm under DDP on CPU keeps per-process statistics (SyncBatchNorm needs CUDA)")
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    generator.to(device, memory_format=memory_format)
    discriminator.to(device, memory_format=memory_format)
    adam = dict(lr=config.lr, betas=(config.beta1, 0.999), fused=device.type == "cuda")
    opt_g = torch.optim.Adam(generator.parameters(), **adam)
    opt_d = torch.optim.Adam(discriminator.parameters(), **adam)
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")  # bf16 needs none
    torch.manual_seed(config.seed + 1 + rank)  # dropout: a different stream per process
    jitter_rng = torch.Generator(device).manual_seed(config.seed + 10_007 * (rank + 1))

    step, best_val_l1 = 0, math.inf
    if checkpoint is not None:
        load_weights(generator, checkpoint.state["generator"], what="generator", path=checkpoint.path)
        load_weights(discriminator, checkpoint.state["discriminator"], what="discriminator", path=checkpoint.path)
        opt_g.load_state_dict(checkpoint.state["opt_g"])
        opt_d.load_state_dict(checkpoint.state["opt_d"])
        scaler.load_state_dict(checkpoint.state["scaler"])
        _set_rng_state(checkpoint.state["rng"][rank], jitter_rng, device)
        step, best_val_l1 = checkpoint.step, checkpoint.state["best_val_l1"]

    # DDP averages gradients across processes. The G step calls the bare discriminator: its
    # weights are frozen there, and a DDP forward would wait for gradients that never come.
    ddp = dict(device_ids=[device.index]) if device.type == "cuda" else {}
    train_g = DistributedDataParallel(generator, **ddp) if world > 1 else generator
    train_d = DistributedDataParallel(discriminator, **ddp) if world > 1 else discriminator
    train_g, train_d = _maybe_compile(train_g, config), _maybe_compile(train_d, config)
    frozen_d = _maybe_compile(discriminator, config) if world > 1 else train_d

    if context.is_main:
        (out / "samples").mkdir(parents=True, exist_ok=True)
        run_info = {
            "config": config.to_dict(),
            "data": str(Path(data).resolve()),
            "train_images": len(train),
            "val_images": len(val),
            "world_size": world,
            "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
            "steps_per_epoch": steps_per_epoch,
            "total_steps": total_steps,
            "torch": torch.__version__,
        }
        write_json(out / "config.json", run_info)
    metrics = MetricsLog(out / "metrics.csv", resume_step=step if resume else None)
    stats: dict[str, float] = {}
    loss_sums = torch.zeros(3, device=device)  # summed on the device: no host sync per step
    window_start, window_steps = time.perf_counter(), 0
    run_start, start_step = time.perf_counter(), step
    val_scores: Scores | None = None
    order = None

    # -- the loop ---------------------------------------------------------------------------------
    while step < total_steps:
        epoch, i = divmod(step, steps_per_epoch)
        if order is None or i == 0:
            sampler.set_epoch(epoch)
            order = torch.tensor(list(sampler), device=data_device)
        batch = train_pairs[order[i * config.batch_size : (i + 1) * config.batch_size]].to(device, non_blocking=True)
        if jitter_on:
            jitter = draw_jitter(
                len(batch),
                crop_size=config.crop_size,
                load_size=config.load_size,
                flip=config.flip,
                generator=jitter_rng,
            )
            pairs = apply_jitter(batch, jitter, load_size=config.load_size)
        else:
            pairs = to_float(batch)
        real_a = pairs[:, :3].contiguous(memory_format=memory_format)  # (B, 3, S, S) input
        real_b = pairs[:, 3:].contiguous(memory_format=memory_format)  # (B, 3, S, S) target
        lr = _lr_at(step, total_steps, config)
        for group in (*opt_g.param_groups, *opt_d.param_groups):
            group["lr"] = lr

        with autocast(device, config.precision):
            fake_b = train_g(real_a)

        # D: real pairs towards 1, generated ones towards 0 (detached: no gradient into G here).
        discriminator.requires_grad_(True)
        with autocast(device, config.precision):
            loss_d = discriminator_loss(train_d(real_a, real_b), train_d(real_a, fake_b.detach()))
        opt_d.zero_grad(set_to_none=True)
        scaler.scale(loss_d).backward()
        scaler.step(opt_d)

        # G: fool D, whose weights are frozen (their gradients would be wasted work), and stay
        # close to the target in L1.
        discriminator.requires_grad_(False)
        with autocast(device, config.precision):
            loss_g, loss_gan, loss_l1 = generator_losses(
                frozen_d(real_a, fake_b), fake_b, real_b, l1_weight=config.l1_weight
            )
        opt_g.zero_grad(set_to_none=True)
        scaler.scale(loss_g).backward()
        scaler.step(opt_g)
        scaler.update()

        loss_sums += torch.stack([loss_d, loss_gan, loss_l1]).detach()
        step, window_steps = step + 1, window_steps + 1
        epoch = (step - 1) // steps_per_epoch + 1  # epochs started, for the logs

        if step % config.log_every == 0 or step == total_steps:
            loss_d_mean, loss_gan_mean, loss_l1_mean = (loss_sums / window_steps).tolist()  # syncs the device
            elapsed = time.perf_counter() - window_start
            stats = {
                "images_per_s": window_steps * config.batch_size * world / elapsed,
                "loss_d": loss_d_mean,
                "loss_g_gan": loss_gan_mean,
                "loss_g_l1": loss_l1_mean,
            }
            if context.is_main:
                metrics.append({"step": step, "epoch": epoch, "lr": lr, **stats})
            loss_sums.zero_()
            window_start, window_steps = time.perf_counter(), 0

        if step % eval_every == 0 or step == total_steps:
            rng_states = distributed.gather(context, _rng_state(jitter_rng, device))  # every process
            if context.is_main:
                latest = out / "checkpoints" / "latest.pt"
                val_scores = None
                if len(val):
                    val_scores, outputs = score_pairs(
                        generator, val_pairs, batch_size=max(config.batch_size, 16), device=device,
                        precision=config.precision, keep=config.samples,
                    )  # fmt: skip
                    write_image(out / "samples" / f"step_{step:07d}.jpg", sample_grid(val_pairs, outputs))
                    val_row = {f"val_{name}": value for name, value in val_scores.as_dict().items()}
                    metrics.append({"step": step, "epoch": epoch, **val_row})
                    stats.update({"val_l1": val_scores.l1, "val_pip_iou": val_scores.pip_iou})
                improved = val_scores is not None and val_scores.l1 < best_val_l1
                best_val_l1 = val_scores.l1 if improved else best_val_l1
                save_checkpoint(latest, {
                    "config": config.to_dict(),
                    "generator": generator.state_dict(),
                    "discriminator": discriminator.state_dict(),
                    "opt_g": opt_g.state_dict(),
                    "opt_d": opt_d.state_dict(),
                    "scaler": scaler.state_dict(),
                    "step": step,
                    "epoch": epoch,
                    "rng": rng_states,
                    "best_val_l1": best_val_l1,
                    "val": val_scores.as_dict() if val_scores else None,
                    "world_size": world,
                })  # fmt: skip
                if improved:
                    link_checkpoint(latest, out / "checkpoints" / "best.pt")
                window_start = time.perf_counter()  # validation is not training time

        if progress is not None and context.is_main:
            progress(step, total_steps, stats)

    seconds = time.perf_counter() - run_start
    images = (step - start_step) * config.batch_size * world
    return FitResult(
        run=out,
        steps=step,
        start_step=start_step,
        epochs=config.epochs,
        seconds=seconds,
        images_per_s=images / seconds if seconds > 0 else math.nan,
        val=val_scores,
        best_val_l1=best_val_l1 if math.isfinite(best_val_l1) else None,
    )

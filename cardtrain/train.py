"""The pix2pix training loop (Contract 4), read top to bottom.

One function, :func:`fit`, does a whole run: data, models, optimisers, the loop, validation,
checkpoints. It runs the same on a CPU, one GPU, or N processes under ``torchrun`` (DDP:
each process takes its shard of every epoch, gradients are averaged, rank 0 alone writes).
The update itself is :class:`cardtrain.gan.GanStep`; validation, sample grids and
checkpoints are :func:`validate_and_checkpoint`, whose files are written on a background
thread (:class:`cardtrain.checkpoint.CheckpointWriter`) while training goes on.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DistributedSampler

from cardprep.common.atomic import atomic_write_bytes, atomic_write_json
from cardprep.common.images import write_image
from cardtrain import distributed
from cardtrain.checkpoint import Checkpoint, CheckpointWriter, load_checkpoint
from cardtrain.config import SEED, TrainConfig
from cardtrain.data import apply_jitter, draw_jitter, load_split, to_float
from cardtrain.device import warn_slow_precision
from cardtrain.errors import CardtrainError
from cardtrain.evaluate import sample_grid, score_pairs
from cardtrain.gan import GanStep
from cardtrain.metrics import Scores

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
        atomic_write_bytes(self.path, text.getvalue().encode())


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


class RandomStreams:
    """This process's random streams: dropout (torch's global generator) and jitter, each
    seeded per rank so that processes draw different dropout masks and crops."""

    def __init__(self, seed: int, rank: int, device: torch.device) -> None:
        self.device = device
        torch.manual_seed(seed + 1 + rank)
        self.jitter = torch.Generator(device).manual_seed(seed + 10_007 * (rank + 1))

    def state(self) -> dict[str, torch.Tensor]:
        state = {"torch": torch.get_rng_state(), "jitter": self.jitter.get_state()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def restore(self, state: Mapping[str, torch.Tensor]) -> None:
        torch.set_rng_state(state["torch"])
        self.jitter.set_state(state["jitter"])
        if self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda"], self.device)


def _prepare_run(
    out: Path, data: Path | None, config: TrainConfig | None, resume: bool, is_main: bool
) -> tuple[TrainConfig, Path, Checkpoint | None]:
    """The run's config, its data, and its latest checkpoint when resuming (else None).

    A run stopped before its first checkpoint resumes from step 0 with the config.json it
    wrote. Only rank 0 checks that a new run's folder is free: it writes there, and by the
    time another process looked, rank 0 may already have started to.
    """
    if not resume:
        if is_main and out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CardtrainError(f"{out}: already exists and is not empty; pass --resume {out} or another --out")
        if data is None:
            raise CardtrainError("a new run needs DATA (a manifest.csv or a folder with train/)")
        return config or SEED, Path(data), None
    latest = out / "checkpoints" / "latest.pt"
    info = out / "config.json"
    if latest.is_file():
        checkpoint = load_checkpoint(latest)
        saved = checkpoint.config
    elif info.is_file():
        checkpoint, saved = None, TrainConfig.from_dict(json.loads(info.read_text())["config"])
    else:
        raise CardtrainError(f"{out}: not a cardtrain run (no checkpoints/latest.pt, no config.json)")
    if config is not None and config != saved:
        raise CardtrainError(f"{out}: a resumed run keeps the config it was started with ({info})")
    return saved, Path(data or json.loads(info.read_text())["data"]), checkpoint


def _lr_at(step: int, total: int, config: TrainConfig, world_size: int = 1) -> float:
    """The learning rate of ``step``: ``lr``, scaled by the images per step over ``lr_batch``
    when set (linear scaling, Goyal et al. 2017), rising linearly over the first ``lr_warmup``
    of the run and falling linearly to zero over its last ``lr_decay``."""
    scale = config.batch_size * world_size / config.lr_batch if config.lr_batch else 1.0
    lr = config.lr * scale
    warmup_steps = round(config.lr_warmup * total)
    if step < warmup_steps:
        lr *= (step + 1) / warmup_steps
    decay_steps = round(config.lr_decay * total)
    if decay_steps:
        lr *= min(1.0, (total - step) / decay_steps)
    return lr


@dataclass
class Run:
    """What the loop and :func:`validate_and_checkpoint` share about a run in progress."""

    out: Path
    config: TrainConfig
    context: distributed.Context
    gan: GanStep
    streams: RandomStreams
    val_pairs: torch.Tensor
    metrics: MetricsLog
    writer: CheckpointWriter
    best_val_l1: float = math.inf
    val: Scores | None = None
    stats: dict[str, float] = field(default_factory=dict)


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
    called in every process after every step with (step, total steps, latest stats).
    """
    context = distributed.setup(device)
    try:
        with CheckpointWriter() as writer:
            return _fit(data, Path(out), config, resume, context, writer, progress)
    finally:
        distributed.teardown(context)


def _fit(
    data: Path | None,
    out: Path,
    config: TrainConfig | None,
    resume: bool,
    context: distributed.Context,
    writer: CheckpointWriter,
    progress: Progress | None,
) -> FitResult:
    device, world = context.device, context.world_size
    config, data, checkpoint = _prepare_run(out, data, config, resume, context.is_main)
    if checkpoint is not None and checkpoint.state["world_size"] != world:
        trained_by = checkpoint.state["world_size"]
        raise CardtrainError(f"{out}: was trained by {trained_by} processes, resume it with as many")
    warn_slow_precision(device, config.precision)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick the fastest kernels
    train_pairs, val_pairs, sampler = _load_data(data, config, context)
    steps_per_epoch = len(sampler) // config.batch_size
    total_steps = steps_per_epoch * config.epochs
    eval_every = config.eval_every or steps_per_epoch
    checkpoint_every = config.checkpoint_every or eval_every

    gan = GanStep(config, device, world_size=world)  # the same initial weights in every process
    run = Run(out, config, context, gan, RandomStreams(config.seed, context.rank, device), val_pairs,
              MetricsLog(out / "metrics.csv", resume_step=checkpoint.step if checkpoint else None), writer)  # fmt: skip
    step = 0
    if checkpoint is not None:
        gan.load_state_dict(checkpoint.state, path=checkpoint.path)
        run.streams.restore(checkpoint.state["rng"][context.rank])
        step, run.best_val_l1 = checkpoint.step, checkpoint.state["best_val_l1"]
    if context.is_main:
        _write_run_info(out, data, config, context, len(train_pairs), len(val_pairs), steps_per_epoch, total_steps)

    loss_sums = torch.zeros(3, device=device)  # summed on the device: no host sync per step
    window_start, window_steps = time.perf_counter(), 0
    run_start, start_step = time.perf_counter(), step
    order = None
    while step < total_steps:
        epoch, i = divmod(step, steps_per_epoch)
        if order is None or i == 0:
            sampler.set_epoch(epoch)
            order = torch.tensor(list(sampler), device=train_pairs.device)
        lr = _lr_at(step, total_steps, config, world)
        gan.set_lr(lr)
        rows = order[i * config.batch_size : (i + 1) * config.batch_size]
        loss_sums += gan.train_step(*_batch(train_pairs, rows, run))
        step, window_steps = step + 1, window_steps + 1
        epoch = (step - 1) // steps_per_epoch + 1  # epochs started, for the logs

        if step % config.log_every == 0 or step == total_steps:
            losses = (loss_sums / window_steps).tolist()  # syncs the device
            speed = window_steps * config.batch_size * world / (time.perf_counter() - window_start)
            row = dict(images_per_s=speed, loss_d=losses[0], loss_g_gan=losses[1], loss_g_l1=losses[2])
            run.stats.update(row)
            if context.is_main:
                run.metrics.append({"step": step, "epoch": epoch, "lr": lr, **row})
            loss_sums.zero_()
            window_start, window_steps = time.perf_counter(), 0
        validate, save = (step % every == 0 or step == total_steps for every in (eval_every, checkpoint_every))
        if validate or save:
            validate_and_checkpoint(run, step, epoch, validate=validate, save=save)
            window_start = time.perf_counter()  # validation is not training time
        if progress is not None:
            progress(step, total_steps, run.stats)

    seconds = time.perf_counter() - run_start
    images = (step - start_step) * config.batch_size * world
    best = run.best_val_l1 if math.isfinite(run.best_val_l1) else None
    return FitResult(out, step, start_step, config.epochs, seconds, images / seconds if seconds > 0 else math.nan,
                     run.val, best)  # fmt: skip


def _load_data(
    data: Path, config: TrainConfig, context: distributed.Context
) -> tuple[torch.Tensor, torch.Tensor, DistributedSampler]:
    """Both splits decoded once (uint8, on the device or pinned in host memory) and this
    process's sampler of the train split."""
    device, world = context.device, context.world_size
    train = load_split(data, "train", size=config.crop_size, direction=config.direction)
    val = load_split(data, "val", size=config.crop_size, direction=config.direction)
    if len(train) < config.batch_size * world:
        raise CardtrainError(f"{data}: {len(train)} train images, fewer than one batch ({config.batch_size} x {world})")
    if not len(val) and context.is_main:
        log.warning("%s: no val split, so no validation metrics and no best.pt (latest.pt only)", data)
    data_device = device if config.data_on_device else torch.device("cpu")
    train_pairs, val_pairs = train.pairs.to(data_device), val.pairs.to(data_device)
    if device.type == "cuda" and not config.data_on_device:
        train_pairs = train_pairs.pin_memory()
    # DistributedSampler shuffles with (seed, epoch): the same permutation in every process,
    # each taking its own slice; with one process it is a plain seeded shuffle.
    sampler = DistributedSampler(range(len(train)), world, context.rank, shuffle=True, seed=config.seed, drop_last=True)
    return train_pairs, val_pairs, sampler


def _batch(train_pairs: torch.Tensor, rows: torch.Tensor, run: Run) -> tuple[torch.Tensor, torch.Tensor]:
    """The jittered (input, target) float batch of these rows, on the training device."""
    config = run.config
    batch = train_pairs[rows].to(run.context.device, non_blocking=True)
    if config.load_size > config.crop_size or config.flip:
        jitter = draw_jitter(len(batch), crop_size=config.crop_size, load_size=config.load_size, flip=config.flip,
                             generator=run.streams.jitter)  # fmt: skip
        pairs = apply_jitter(batch, jitter, load_size=config.load_size)
    else:
        pairs = to_float(batch)
    return pairs[:, :3], pairs[:, 3:]  # (B, 3, S, S) input, target


def _write_run_info(
    out: Path, data: Path, config: TrainConfig, context: distributed.Context,
    train_images: int, val_images: int, steps_per_epoch: int, total_steps: int,
) -> None:  # fmt: skip
    """config.json first (a run stopped before its first checkpoint resumes from it), then
    the folders, with a one-line error where they cannot be made."""
    device = context.device
    atomic_write_json(out / "config.json", {
        "config": config.to_dict(),
        "data": str(Path(data).resolve()),
        "train_images": train_images,
        "val_images": val_images,
        "world_size": context.world_size,
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "steps_per_epoch": steps_per_epoch,
        "total_steps": total_steps,
        "torch": torch.__version__,
    })  # fmt: skip
    try:
        (out / "samples").mkdir(exist_ok=True)
        (out / "checkpoints").mkdir(exist_ok=True)
    except OSError as error:
        raise CardtrainError(f"{out}: cannot create the run's folders ({error.strerror})") from error


def validate_and_checkpoint(run: Run, step: int, epoch: int, *, validate: bool = True, save: bool = True) -> None:
    """With ``validate``, score the val split and write its sample grid and metrics row; hand
    latest.pt to the background writer when ``save``, and best.pt when val L1 improved (a link
    to latest.pt when both are written). A collective: every process calls it (each gives its
    RNG state); rank 0 alone writes."""
    rng_states = distributed.gather(run.context, run.streams.state())
    if not run.context.is_main:
        return
    config, out = run.config, run.out
    improved = False
    if validate and len(run.val_pairs):
        run.val, outputs = score_pairs(
            run.gan.generator, run.val_pairs, batch_size=max(config.batch_size, 16), device=run.context.device,
            precision=config.precision, keep=config.samples,
        )  # fmt: skip
        write_image(out / "samples" / f"step_{step:07d}.jpg", sample_grid(run.val_pairs, outputs))
        run.metrics.append({"step": step, "epoch": epoch, **{f"val_{k}": v for k, v in run.val.as_dict().items()}})
        run.stats.update(val_l1=run.val.l1, val_pip_iou=run.val.pip_iou)
        improved = run.val.l1 < run.best_val_l1
        run.best_val_l1 = min(run.val.l1, run.best_val_l1)
    if not (save or improved):
        return
    state = {
        "config": config.to_dict(),
        **run.gan.state_dict(),
        "step": step,
        "epoch": epoch,
        "rng": rng_states,
        "best_val_l1": run.best_val_l1,
        "val": run.val.as_dict() if run.val else None,
        "world_size": run.context.world_size,
    }
    latest, best = out / "checkpoints" / "latest.pt", out / "checkpoints" / "best.pt"
    if save:
        run.writer.submit(latest, state, also=best if improved else None)
    else:
        run.writer.submit(best, state)

"""Checkpoints (Contract 4): written atomically, read back with a format and architecture check.

A checkpoint is a dict saved by ``torch.save``: ``format``, ``config`` (the resolved
TrainConfig as a dict), ``generator``, ``discriminator``, ``opt_g``, ``opt_d``, ``scaler``,
``step``, ``epoch``, ``rng`` (one RNG state dict per process), ``best_val_l1``, ``val``
(metrics at save time or None) and ``world_size``. Everything in it is a tensor or a plain
Python value, so it loads with ``weights_only=True`` (no code runs on load).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from cardprep.common.atomic import atomic_path
from cardtrain.config import TrainConfig
from cardtrain.errors import CardtrainError
from cardtrain.models import UNet, build_generator

FORMAT = "cardtrain-pix2pix-v1"
REQUIRED = ("config", "generator", "discriminator", "opt_g", "opt_d", "scaler", "step", "epoch", "rng", "world_size")


@dataclass(frozen=True)
class Checkpoint:
    """A loaded, validated checkpoint; ``state`` is the raw dict (see the module docstring)."""

    path: Path
    config: TrainConfig
    step: int
    epoch: int
    state: dict[str, Any]


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through a temporary sibling and a rename: a crash mid-write
    leaves the previous checkpoint intact."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)


def cpu_copy(value: Any) -> Any:
    """A deep copy of a state with every tensor copied to the CPU: a snapshot that training,
    which goes on updating the originals in place, cannot change."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {key: cpu_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(cpu_copy(item) for item in value)
    return value


class CheckpointWriter:
    """Writes checkpoints on a background thread, so training does not wait for the disk.

    :meth:`submit` takes a snapshot (:func:`cpu_copy`) and returns; the thread writes it with
    :func:`save_checkpoint` (temporary file, then rename: a kill mid-write leaves the previous
    file intact) and then links it to ``also``. One write at a time: a submit first waits for
    the one before. An error in the thread is raised by the next :meth:`submit` or by
    :meth:`close`, which waits for the last write (also on Ctrl-C: its snapshot is whole).
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._pending: Future[None] | None = None

    def submit(self, path: Path, state: dict[str, Any], *, also: Path | None = None) -> None:
        self.wait()
        self._pending = self._thread.submit(self._write, path, cpu_copy(state), also)

    @staticmethod
    def _write(path: Path, state: dict[str, Any], also: Path | None) -> None:
        save_checkpoint(path, state)
        if also is not None:
            link_checkpoint(path, also)

    def wait(self) -> None:
        """Block until the last submitted checkpoint is on disk (or raise its error)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._thread.shutdown()

    def __enter__(self) -> CheckpointWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def link_checkpoint(source: Path, target: Path) -> None:
    """Make ``target`` the same file as ``source`` atomically, without writing it again.

    A hard link shares the data; the later ``os.replace`` of ``source`` by a newer save gives
    ``source`` a new file and leaves ``target`` pointing at this one.
    """
    tmp = target.with_name(f".{target.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:  # file systems without hard links: copy
        tmp.write_bytes(source.read_bytes())
    os.replace(tmp, target)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load and validate a cardtrain checkpoint, or raise a CardtrainError saying what it is not."""
    path = Path(path)
    if not path.is_file():
        raise CardtrainError(f"{path}: no such checkpoint file")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises several types for foreign or truncated files
        raise CardtrainError(f"{path}: not a readable torch checkpoint ({type(error).__name__})") from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CardtrainError(
            f"{path}: not a cardtrain checkpoint (format {found!r}, expected {FORMAT!r}); "
            "bare state dicts from other pix2pix code carry no config to rebuild the model"
        )
    missing = [key for key in REQUIRED if key not in state]
    if missing:
        raise CardtrainError(f"{path}: incomplete checkpoint, missing {', '.join(missing)}")
    config = TrainConfig.from_dict(state["config"])
    return Checkpoint(path, config, int(state["step"]), int(state["epoch"]), state)


def load_weights(model: nn.Module, weights: dict[str, torch.Tensor], *, what: str, path: Path) -> None:
    """``model.load_state_dict`` with a one-line error when the architecture differs."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        detail = (
            f"{wrong[0]} is {tuple(weights[wrong[0]].shape)}, the model wants {tuple(expected[wrong[0]].shape)}"
            if wrong
            else f"missing {missing[:2]}, unexpected {unexpected[:2]}"
        )
        raise CardtrainError(f"{path}: its {what} weights do not fit the architecture its config describes ({detail})")
    model.load_state_dict(weights)


def load_generator(path: Path, device: torch.device) -> tuple[UNet, TrainConfig]:
    """The generator of a checkpoint, on ``device``, in eval mode (no dropout, running stats)."""
    checkpoint = load_checkpoint(path)
    generator = build_generator(checkpoint.config)
    load_weights(generator, checkpoint.state["generator"], what="generator", path=checkpoint.path)
    return generator.to(device).eval(), checkpoint.config

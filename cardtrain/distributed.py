"""Process-group setup for ``torchrun`` (DDP): each process's rank and device (the device is
chosen by :mod:`cardtrain.device`).

Without torchrun (no ``WORLD_SIZE`` in the environment) everything here is a no-op and the
run is a single process. Under torchrun each process trains on its own shard of every epoch;
rank 0 alone validates, logs and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from cardtrain.device import resolve_device


@dataclass(frozen=True)
class Context:
    """Where this process runs: its rank among ``world_size`` processes and its device."""

    rank: int
    world_size: int
    device: torch.device
    owns_group: bool = False  # setup made the process group, so teardown ends it

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: str = "auto") -> Context:
    """Join the torchrun process group when there is one (NCCL on GPUs, gloo on CPUs)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Context(0, 1, resolve_device(device))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    target = resolve_device(device, local_rank)
    if target.type == "cuda":
        target = torch.device("cuda", local_rank)  # one GPU per process
        torch.cuda.set_device(target)
    owns_group = not dist.is_initialized()  # a caller's own group is used, and left to it
    if owns_group:
        dist.init_process_group(backend="nccl" if target.type == "cuda" else "gloo")
    return Context(dist.get_rank(), dist.get_world_size(), target, owns_group)


def teardown(context: Context) -> None:
    if context.world_size > 1 and dist.is_initialized():
        dist.barrier()  # rank 0 may still be saving; let it finish before the group goes
        if context.owns_group:
            dist.destroy_process_group()


def gather(context: Context, value: Any) -> list[Any]:
    """Every process's ``value``, in rank order (a collective: all ranks must call it)."""
    if context.world_size == 1:
        return [value]
    values: list[Any] = [None] * context.world_size
    dist.all_gather_object(values, value)
    return values

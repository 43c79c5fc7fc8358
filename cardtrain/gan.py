"""One pix2pix update, as an object: the two networks, their optimisers and the grad scaler.

:class:`GanStep` is pix2pix's ``optimize_parameters``: :meth:`GanStep.train_step` updates D on
a batch, then G against the updated D. Its :meth:`~GanStep.state_dict` holds everything an
exact resume needs from it, under the checkpoint keys ``generator``, ``discriminator``,
``opt_g``, ``opt_d`` and ``scaler`` (the run's own keys are in :mod:`cardtrain.train`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from cardtrain.checkpoint import load_weights
from cardtrain.config import TrainConfig
from cardtrain.device import autocast
from cardtrain.losses import discriminator_loss, generator_losses
from cardtrain.models import build_discriminator, build_generator, init_weights

log = logging.getLogger("cardtrain")

STATE_KEYS = ("generator", "discriminator", "opt_g", "opt_d", "scaler")


class GanStep:
    """Generator, discriminator, both Adams and the grad scaler of a run, on ``device``.

    Every process builds the same initial weights from ``config.seed``. With ``world_size``
    > 1 the networks are wrapped in DDP (gradients averaged across processes); the G update
    calls the bare discriminator: its weights are frozen there, and a DDP forward would wait
    for gradients that never come.
    """

    def __init__(self, config: TrainConfig, device: torch.device, *, world_size: int = 1) -> None:
        self.config, self.device = config, device
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        init_rng = torch.Generator().manual_seed(config.seed)
        generator, discriminator = build_generator(config), build_discriminator(config)
        init_weights(generator, init_rng)
        init_weights(discriminator, init_rng)
        if world_size > 1 and config.norm == "batch":
            if device.type == "cuda":  # per-process batch statistics would differ: share them
                generator = nn.SyncBatchNorm.convert_sync_batchnorm(generator)
                discriminator = nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
            else:
                log.warning("batch norm under DDP on CPU keeps per-process statistics (SyncBatchNorm needs CUDA)")
        self.generator = generator.to(device, memory_format=self.memory_format)
        self.discriminator = discriminator.to(device, memory_format=self.memory_format)
        adam = dict(lr=config.lr, betas=(config.beta1, 0.999), fused=device.type == "cuda")
        self.opt_g = torch.optim.Adam(self.generator.parameters(), **adam)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), **adam)
        self.scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")  # bf16 needs none

        ddp = dict(device_ids=[device.index]) if device.type == "cuda" else {}
        train_g = DistributedDataParallel(self.generator, **ddp) if world_size > 1 else self.generator
        train_d = DistributedDataParallel(self.discriminator, **ddp) if world_size > 1 else self.discriminator
        self._train_g, self._train_d = self._compiled(train_g), self._compiled(train_d)
        self._frozen_d = self._compiled(self.discriminator) if world_size > 1 else self._train_d

    def _compiled(self, model: nn.Module) -> nn.Module:
        return torch.compile(model) if self.config.compile else model

    def set_lr(self, lr: float) -> None:
        for group in (*self.opt_g.param_groups, *self.opt_d.param_groups):
            group["lr"] = lr

    def train_step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> torch.Tensor:
        """One update of D then G on input ``real_a`` and target ``real_b`` ((B, 3, S, S) in
        [-1, 1]); returns the detached losses (D, G's GAN term, G's L1 term) as a (3,) tensor,
        left on the device (reading it would wait for the GPU)."""
        config, scaler = self.config, self.scaler
        real_a = real_a.contiguous(memory_format=self.memory_format)
        real_b = real_b.contiguous(memory_format=self.memory_format)
        with autocast(self.device, config.precision):
            fake_b = self._train_g(real_a)

        # D: real pairs towards 1, generated ones towards 0 (detached: no gradient into G here).
        self.discriminator.requires_grad_(True)
        with autocast(self.device, config.precision):
            loss_d = discriminator_loss(self._train_d(real_a, real_b), self._train_d(real_a, fake_b.detach()))
        self.opt_d.zero_grad(set_to_none=True)
        scaler.scale(loss_d).backward()
        scaler.step(self.opt_d)

        # G: fool D, whose weights are frozen (their gradients would be wasted work), and stay
        # close to the target in L1.
        self.discriminator.requires_grad_(False)
        with autocast(self.device, config.precision):
            loss_g, loss_gan, loss_l1 = generator_losses(
                self._frozen_d(real_a, fake_b), fake_b, real_b, l1_weight=config.l1_weight
            )
        self.opt_g.zero_grad(set_to_none=True)
        scaler.scale(loss_g).backward()
        scaler.step(self.opt_g)
        scaler.update()
        return torch.stack([loss_d, loss_gan, loss_l1]).detach()

    def state_dict(self) -> dict[str, Any]:
        """The live state under the checkpoint's keys (tensors shared, not copied)."""
        return {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any], *, path: Path) -> None:
        """Restore what :meth:`state_dict` gave, from checkpoint ``path`` (named in errors)."""
        load_weights(self.generator, state["generator"], what="generator", path=path)
        load_weights(self.discriminator, state["discriminator"], what="discriminator", path=path)
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.scaler.load_state_dict(state["scaler"])

"""Device choice and mixed precision, shared by training and inference."""

from __future__ import annotations

import contextlib
import logging

import torch

from cardtrain.config import Precision
from cardtrain.errors import CardtrainError

log = logging.getLogger("cardtrain")

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` is this process's GPU when there is one, else the CPU."""
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise CardtrainError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CardtrainError(f"device {name!r} asked for, but torch sees no CUDA GPU")
    return device


def autocast(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager:
    """Autocast to bf16/fp16 on ``device``, or nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_DTYPES[precision])


def inference_precision(device: torch.device, trained_with: Precision) -> Precision:
    """Inference runs in the training precision on GPUs, in fp32 on CPUs (see warn_slow_precision)."""
    return trained_with if device.type == "cuda" else "fp32"


def warn_slow_precision(device: torch.device, precision: Precision) -> None:
    """bf16/fp16 on a CPU without native support is emulated: measured ~20x slower than fp32
    on an AVX2-only CPU. Say so rather than let a run crawl silently."""
    if device.type == "cpu" and precision != "fp32":
        capability = torch.backends.cpu.get_cpu_capability()
        if "AVX512" not in capability and "AMX" not in capability:
            log.warning(
                "%s autocast on this CPU (%s) is emulated and much slower than fp32; pass --precision fp32",
                precision,
                capability,
            )

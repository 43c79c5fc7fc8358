"""Device choice and mixed precision, shared by training and inference."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import torch

from cardtrain.config import Precision
from cardtrain.errors import CardtrainError

log = logging.getLogger("cardtrain")

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` is this process's GPU when there is one, else the CPU; any other name must be a
    device this machine has (``mps``, ``xpu`` or ``cuda:3`` are refused up front when absent)."""
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise CardtrainError(f"unknown device {name!r} (use {', '.join(available_devices())})") from error
    count = _device_count(device.type)
    if count == 0 or (device.index is not None and device.index >= count):
        raise CardtrainError(f"--device {name}: not available here (this machine has {', '.join(available_devices())})")
    return device


def _device_count(kind: str) -> int:
    """How many devices of this kind torch can train on here (0 for meta and the like)."""
    if kind == "cpu":
        return 1
    if kind == "cuda":
        return torch.cuda.device_count()
    if kind == "mps":
        return int(torch.backends.mps.is_available())
    if kind == "xpu":
        return torch.xpu.device_count() if hasattr(torch, "xpu") and torch.xpu.is_available() else 0
    return 0


def available_devices() -> list[str]:
    """The --device values that work here, for messages."""
    names = ["auto", "cpu"]
    for kind in ("cuda", "mps", "xpu"):
        count = _device_count(kind)
        names += [kind] if kind == "mps" and count else [f"{kind}:{i}" for i in range(count)]
    return names


def autocast(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager:
    """Autocast to bf16/fp16 on ``device``, or nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_DTYPES[precision])


def inference_precision(device: torch.device, trained_with: Precision) -> Precision:
    """Inference runs in the training precision on GPUs, in fp32 on CPUs (see warn_slow_precision)."""
    return trained_with if device.type == "cuda" else "fp32"


def _cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux); empty where it cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


# CPU features that make each autocast type native rather than emulated.
_NATIVE = {"bf16": {"avx512_bf16", "amx_bf16"}, "fp16": {"avx512_fp16", "amx_fp16"}}


def warn_slow_precision(device: torch.device, precision: Precision) -> None:
    """fp16/bf16 autocast on a CPU without the matching instructions is emulated: on this
    project's AVX512-BF16 CPU, `train_bench.py --fp16` (one thread, 128 px, batch 16) ran fp16
    at 1.23 images/s against 19.3 for fp32 and 38.1 for bf16 (benchmarks/RESULTS.md). Say so
    rather than let a run crawl silently."""
    if device.type == "cpu" and precision != "fp32" and not _NATIVE[precision] & _cpu_flags():
        log.warning(
            "%s on this CPU is emulated (no %s) and much slower than fp32; pass --precision fp32",
            precision,
            " or ".join(sorted(_NATIVE[precision])),
        )

"""One typed config per run, its presets, and overrides.

The resolved config is saved in ``RUN/config.json`` and inside every checkpoint, so
``predict`` and ``eval`` rebuild the model from the checkpoint alone. Each field's help text
lives here once; the CLI turns every field into an option (``--batch-size``, ``--norm``...).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_type_hints

from cardtrain.errors import CardtrainError

Direction = Literal["AtoB", "BtoA"]
Norm = Literal["batch", "instance"]
Precision = Literal["fp32", "bf16", "fp16"]


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a pix2pix run. Defaults are the paper's and the seed's."""

    # data
    direction: Direction = _opt("AtoB", "AtoB: learn left half -> right half; BtoA the reverse.")
    crop_size: int = _opt(256, "Model resolution in pixels; each half is resized to it once, at load.")
    load_size: int = _opt(286, "Jitter: halves are upscaled to this, then randomly cropped back to crop-size.")
    flip: bool = _opt(True, "Jitter: random horizontal flip of the pair.")
    # model
    ngf: int = _opt(64, "Generator width (filters of its first layer).")
    ndf: int = _opt(64, "Discriminator width (filters of its first layer).")
    depth: int = _opt(8, "U-Net downsamplings; 2**depth = crop-size gives the paper's 1x1 bottleneck.")
    d_layers: int = _opt(3, "PatchGAN strided layers: 3 gives 70x70 patches, 2 gives 34x34.")
    norm: Norm = _opt("batch", "Normalisation: batch (paper, batch 1) or instance (batch-size independent).")
    dropout: float = _opt(0.5, "Dropout in the three innermost decoder blocks (training only).")
    # optimisation
    batch_size: int = _opt(1, "Images per step and per process.")
    epochs: int = _opt(50, "Passes over the training split.")
    lr: float = _opt(2e-4, "Adam learning rate of both networks (at lr-batch images per step, if set).")
    lr_batch: int = _opt(
        0, "Linear scaling: lr is for this many images per step and scales with batch-size x processes; 0 = off."
    )
    lr_warmup: float = _opt(0.0, "Fraction of the run, at its start, over which the learning rate rises linearly.")
    beta1: float = _opt(0.5, "Adam beta1.")
    lr_decay: float = _opt(0.0, "Fraction of the run, at its end, over which the learning rate falls linearly to 0.")
    l1_weight: float = _opt(100.0, "Weight of the L1 term in the generator loss.")
    # speed
    precision: Precision = _opt("fp32", "Autocast precision: fp32 (none), bf16, or fp16 (with a grad scaler).")
    channels_last: bool = _opt(False, "Use the channels-last memory format (faster convolutions on GPUs).")
    data_on_device: bool = _opt(False, "Keep the dataset on the device as uint8 and jitter it there.")
    compile: bool = _opt(False, "torch.compile both networks (slow first steps, faster after).")
    # bookkeeping
    eval_every: int = _opt(0, "Validate (metrics, samples/, best.pt) every N steps and at the end; 0 = every epoch.")
    checkpoint_every: int = _opt(0, "Write latest.pt every N steps and at the end; 0 = at every validation.")
    log_every: int = _opt(50, "Write losses and images/s to metrics.csv every N steps.")
    samples: int = _opt(6, "Validation images shown in each samples/ grid.")
    seed: int = _opt(0, "Seed of weights init, shuffling, jitter and dropout.")

    def __post_init__(self) -> None:
        for name in ("crop_size", "ngf", "ndf", "batch_size", "epochs", "log_every", "samples"):
            if getattr(self, name) < 1:
                raise CardtrainError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.depth < 4:
            raise CardtrainError(f"depth must be at least 4 (three dropout blocks + the outermost), got {self.depth}")
        if self.crop_size % 2**self.depth:
            raise CardtrainError(
                f"crop_size {self.crop_size} is not divisible by 2**depth = {2**self.depth}; "
                f"use depth {max(4, self.crop_size.bit_length() - 1)} or a crop size that is a power of 2"
            )
        if self.load_size < self.crop_size:
            raise CardtrainError(f"load_size {self.load_size} is smaller than crop_size {self.crop_size}")
        if not 1 <= self.d_layers <= 5:
            raise CardtrainError(f"d_layers must be between 1 and 5, got {self.d_layers}")
        self._check_ranges()
        for name in ("direction", "norm", "precision"):
            allowed = get_args(get_type_hints(TrainConfig)[name])
            if getattr(self, name) not in allowed:
                raise CardtrainError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")

    def _check_ranges(self) -> None:
        """Every float finite and meaningful: a comparison with NaN is False, so NaN fails too."""
        in_range = {
            "lr": (lambda v: 0 < v < math.inf, "positive and finite"),
            "beta1": (lambda v: 0 <= v < 1, "in [0, 1)"),
            "dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
            "l1_weight": (lambda v: 0 <= v < math.inf, "0 or more and finite"),
            "lr_decay": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "lr_warmup": (lambda v: 0 <= v <= 1, "in [0, 1]"),
        }
        for name, (check, wanted) in in_range.items():
            if not check(getattr(self, name)):
                raise CardtrainError(f"--{name.replace('_', '-')} must be {wanted}, got {getattr(self, name)}")
        if self.lr_decay + self.lr_warmup > 1:
            raise CardtrainError(f"--lr-warmup {self.lr_warmup} and --lr-decay {self.lr_decay} overlap (sum over 1)")
        for name in ("eval_every", "checkpoint_every", "lr_batch"):
            if getattr(self, name) < 0:
                raise CardtrainError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Rebuild a config saved by :meth:`to_dict`; unknown keys are an error, not ignored."""
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise CardtrainError(f"unknown config keys {sorted(unknown)} (saved by a newer cardtrain?)")
        return cls(**values)

    def override(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied; ``None`` values mean "keep the preset's"."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# The seed: the TensorFlow pix2pix tutorial's settings, as the paper (batch 1, batch norm).
SEED = TrainConfig()

# The GPU path. Instance norm keeps batch > 1 close to the batch-1 regime (batch norm over a
# batch blurs outputs) and needs no SyncBatchNorm under DDP. bf16 needs no grad scaler.
FAST = SEED.override(
    norm="instance",
    batch_size=16,
    lr_batch=16,  # 2e-4 at batch 16; measured on an H100: batch 64 at 8e-4 kept new-photo pip IoU (0.750 vs 0.755)
    flip=False,
    precision="bf16",
    channels_last=True,
    data_on_device=True,
)

# Small enough to draw red hearts in a few minutes on 2 CPU cores: 128 px with a 7-level U-Net
# (1x1 bottleneck), 16-filter networks (~3x the images/s of 32 at the same budget, and a lower
# val L1), a 10x learning rate decayed over the second half. Measured on 1000 simulated card
# pairs, 2 epochs each: lr 2e-4 -> val L1 0.135, 1e-3 -> 0.094, 2e-3 -> 0.087; batch norm
# (inference with running statistics) 0.151 against instance norm's 0.094. No bf16: it is
# emulated, hence slow, on CPUs without AVX512-BF16/AMX.
CPU_DEMO = SEED.override(
    crop_size=128,
    load_size=136,
    flip=False,
    depth=7,
    ngf=16,
    ndf=16,
    norm="instance",
    batch_size=4,
    epochs=5,
    lr=2e-3,
    lr_decay=0.5,
    log_every=10,
)

PRESETS: dict[str, TrainConfig] = {"seed": SEED, "fast": FAST, "cpu-demo": CPU_DEMO}
PresetName = Literal["seed", "fast", "cpu-demo"]


def field_help() -> dict[str, str]:
    """The help text of every field, for the CLI."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(TrainConfig)}

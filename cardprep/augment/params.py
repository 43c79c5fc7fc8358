"""What a dataset build depends on (``AugmentConfig``) and each image's seeded draw from it.

The draw is the only randomness of augment and is kept apart from the deterministic apply
(:mod:`cardprep.augment.functional`), as in albumentations: ``draw_params(seed, config)`` is
a pure function, so a manifest row that records its seed and parameters re-makes its image.

Each config field carries its help text and its command-line option in its metadata: the
CLI generates its options from them and the validation messages name the options, so the
two cannot drift apart.

Conventions: ``angle`` is in degrees, positive turns the picture clockwise on screen (as
``cardprep.geometry.rotation``); ``shear_x``/``shear_y`` are shear angles in degrees (x' = x
+ tan(shear_x) y); ``tx``/``ty`` are shifts as a fraction of the output side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

import numpy as np

from cardprep.errors import CardprepError


class Border(str, Enum):
    """How the area the transform uncovers is filled: never black wedges."""

    REFLECT = "reflect"  # the photo's own background mirrored across the edge
    SURFACE = "surface"  # a flat fill with the median colour of the photo's outer ring


class Split(str, Enum):
    TRAIN = "train"
    VAL = "val"


class SplitPolicy(str, Enum):
    """Where val images come from; recorded in every manifest row."""

    DRAWS = "draws"  # every pair, other draws than train's
    HOLDOUT = "holdout"  # K pairs drawn by the seed, kept out of train entirely
    SOURCES = "sources"  # pairs named by the user, kept out of train entirely


def _opt(default: Any, help: str, *, option: str | None = None) -> Any:
    """A config field with its help text and, when it differs from ``--<name>``, its option."""
    metadata = {"help": help} if option is None else {"help": help, "option": option}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class AugmentConfig:
    """Everything a dataset build depends on besides its input. Defaults suit card photos."""

    n_train: int = _opt(1000, "Train images.", option="--n")
    n_val: int = _opt(300, "Val images (0: none).", option="--val")
    size: int = _opt(256, "Side of each half in px: files are (2 SIZE) x SIZE, A left, B right.")
    seed: int = _opt(0, "Random seed: the same input and seed give byte-identical files.")
    rotate: float = _opt(15.0, "Rotation drawn in +-DEGREES.")
    zoom: float = _opt(0.15, "Scale drawn log-uniformly in [1/(1+Z), 1+Z]: zooms in and out alike.")
    shear: float = _opt(8.0, "x and y shear each drawn in +-DEGREES.")
    shift: float = _opt(0.08, "x and y shift each drawn in +-FRACTION of the side.")
    hflip: bool = _opt(False, "Mirror left-right half the time (off for cards: it mirrors the rank characters).")
    vflip: bool = _opt(False, "Mirror top-bottom half the time.")
    border: Border = _opt(Border.REFLECT, "Fill for uncovered areas: reflect the photo, or the surface's median colour.")
    jitter: float = _opt(0.0, "Brightness, contrast and saturation each x [1-J, 1+J] (0: off).")
    jitter_independent: bool = _opt(False, "Draw B's jitter apart from A's (default: the same jitter for both halves).")
    holdout: int = _opt(0, "Keep K whole pairs (drawn by the seed) out of train; val comes from them only.")
    val_sources: tuple[str, ...] = _opt((), "Or name the pairs kept out of train, comma-separated: s1,s2.")

    def __post_init__(self) -> None:
        _require(self.n_train >= 1, "n_train", f"must be at least 1, got {self.n_train}")
        _require(self.n_val >= 0, "n_val", f"must be 0 or more, got {self.n_val}")
        _require(8 <= self.size <= 4096, "size", f"must be between 8 and 4096 px, got {self.size}")
        _require(self.seed >= 0, "seed", f"must be 0 or more, got {self.seed}")
        _require(0 <= self.rotate <= 180, "rotate", f"must be between 0 and 180 degrees, got {self.rotate}")
        _require(0 <= self.zoom <= 1, "zoom", f"must be between 0 and 1 (0.15: scale 0.87..1.15), got {self.zoom}")
        _require(0 <= self.shear <= 45, "shear", f"must be between 0 and 45 degrees, got {self.shear}")
        _require(0 <= self.shift <= 0.5, "shift", f"must be between 0 and 0.5 (of the side), got {self.shift}")
        _require(0 <= self.jitter < 1, "jitter", f"must be in [0, 1) (0: off), got {self.jitter}")
        _require(self.holdout >= 0, "holdout", f"must be 0 or more, got {self.holdout}")
        if self.holdout and self.val_sources:
            raise CardprepError(f"use {option('holdout')} or {option('val_sources')}, not both")
        _require(self.n_val > 0 or not (self.holdout or self.val_sources), "n_val",
                 f"is 0, but holding pairs out for val ({option('holdout')}, {option('val_sources')}) needs val images")
        _require(len(set(self.val_sources)) == len(self.val_sources), "val_sources",
                 f"repeats a name: {', '.join(self.val_sources)}")

    @property
    def split_policy(self) -> SplitPolicy:
        if self.holdout:
            return SplitPolicy.HOLDOUT
        return SplitPolicy.SOURCES if self.val_sources else SplitPolicy.DRAWS


def option(name: str) -> str:
    """The command-line option of config field ``name``: ``--n`` for ``n_train``, ``--zoom``..."""
    metadata = next(f.metadata for f in fields(AugmentConfig) if f.name == name)
    return metadata.get("option", f"--{name.replace('_', '-')}")


def _require(ok: bool, name: str, problem: str) -> None:
    # NaN fails every comparison above, so it is refused like any value out of range.
    if not ok:
        raise CardprepError(f"{option(name)} {problem}")


@dataclass(frozen=True)
class Jitter:
    """Photometric jitter, a pure per-pixel function: the identity is all ones."""

    brightness: float = 1.0  # gain on the pixel values
    contrast: float = 1.0  # stretch about mid-grey
    saturation: float = 1.0  # 0 grey, 1 unchanged

    @property
    def is_identity(self) -> bool:
        return self == Jitter()


@dataclass(frozen=True)
class AugmentParams:
    """One image's draw. Together with the source pair, size and border it fixes the image."""

    angle: float = 0.0
    scale: float = 1.0
    shear_x: float = 0.0
    shear_y: float = 0.0
    tx: float = 0.0
    ty: float = 0.0
    hflip: bool = False
    vflip: bool = False
    jitter_a: Jitter = Jitter()
    jitter_b: Jitter = Jitter()


_DRAWS_PER_IMAGE = 14  # uniforms per draw, all always drawn: switching jitter on keeps the geometry


def draw_params(seed: int, config: AugmentConfig) -> AugmentParams:
    """The parameters of the image with this ``seed``: a pure function of (seed, config)."""
    u = 2.0 * np.random.default_rng(seed).random(_DRAWS_PER_IMAGE) - 1.0  # uniform in [-1, 1)
    jitter_a = _jitter_from(u[8:11], config.jitter)
    return AugmentParams(
        angle=float(u[0] * config.rotate),
        scale=float(math.exp(u[1] * math.log1p(config.zoom))),
        shear_x=float(u[2] * config.shear),
        shear_y=float(u[3] * config.shear),
        tx=float(u[4] * config.shift),
        ty=float(u[5] * config.shift),
        hflip=bool(config.hflip and u[6] < 0),
        vflip=bool(config.vflip and u[7] < 0),
        jitter_a=jitter_a,
        jitter_b=_jitter_from(u[11:14], config.jitter) if config.jitter_independent else jitter_a,
    )


def _jitter_from(u: np.ndarray, strength: float) -> Jitter:
    if strength == 0:
        return Jitter()
    return Jitter(*(float(1.0 + v * strength) for v in u))


def image_seed(seed: int, split: Split, index: int) -> int:
    """The seed of image ``index`` of ``split``: independent of the others, of n and of workers."""
    split_key = list(Split).index(split)
    return int(np.random.SeedSequence([seed, split_key, index]).generate_state(1)[0])

"""What a dataset build depends on (``AugmentConfig``) and each image's seeded draw from it.

The draw is the only randomness of augment and is kept apart from the deterministic apply
(:mod:`cardprep.augment.functional`), as in albumentations: ``draw_params(seed, config)`` is
a pure function, so a manifest row that records its seed and parameters re-makes its image.

Each config field carries its help text and its command-line option in its metadata: the
CLI generates its options from them and the validation messages name the options, so the
two cannot drift apart.

Which frame the aligned pairs are in (``cardprep align --frame``, recorded in align.json)
picks the defaults: the photo frame gets the seed's geometric set, the card frame small
geometric changes and the light and camera effects of new footage (``FRAME_DEFAULTS``).

Conventions: ``angle`` is in degrees, positive turns the picture clockwise on screen (as
``cardprep.geometry.rotation``); ``shear_x``/``shear_y`` are shear angles in degrees (x' = x
+ tan(shear_x) y); ``tx``/``ty``, blur and band lengths are fractions of the output side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any

import numpy as np

from cardprep.align.config import Frame
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


# The strengths whose default depends on the frame of the aligned pairs (ALIGNED/align.json).
#
# Photo frame: the seed's geometric set and no camera effects, so its datasets are byte for
# byte those made before the card frame existed.
# Card frame: the card is already rectified, and on footage the follower's residual is
# sub-pixel, so geometry only has to cover detection noise and slight perspective. At 256 px
# the card's edge lies 13-18 px inside the frame (the 6% margin of table): zoom 0.05 moves it
# by up to 6 px, shift 0.02 by up to 5 px, rotate 3 a corner by up to 8 px and shear 2 by up to
# 4 px, so the card stays in view but for the rare draw at every extreme at once. What 13 pairs
# cannot show, and new footage brings, is other light and another camera: those effects are on,
# each about as strong as phone footage of a card on a table varies (a hand's shadow, a lamp's
# glare, auto white balance and exposure, a soft focus, a small sensor, a video codec).
# Saturation stays off: white balance and gamma already move the colours, and it would add about
# a tenth to the effects' cost, which issue 11 holds to 2x the build without them (measured by
# benchmarks/augment_bench.py; 0.09 of 0.8 ms CPU per 128 px image).
FRAME_DEFAULTS: dict[Frame, dict[str, float]] = {
    Frame.PHOTO: {"rotate": 15.0, "zoom": 0.15, "shear": 8.0, "shift": 0.08, "brightness": 0.0, "contrast": 0.0,
                  "saturation": 0.0, "white_balance": 0.0, "gamma": 0.0, "shadow": 0.0, "glare": 0.0, "blur": 0.0,
                  "noise": 0.0, "jpeg": 0},
    Frame.CARD: {"rotate": 3.0, "zoom": 0.05, "shear": 2.0, "shift": 0.02, "brightness": 0.25, "contrast": 0.2,
                 "saturation": 0.0, "white_balance": 0.15, "gamma": 0.25, "shadow": 0.5, "glare": 0.35, "blur": 0.006,
                 "noise": 6.0, "jpeg": 60},
}

# Each strength's range: (low, high, what the number is). NaN fails both bounds and is refused.
_RANGES: dict[str, tuple[float, float, str]] = {
    "rotate": (0, 180, " degrees"), "zoom": (0, 1, " (0.15: scale 0.87..1.15)"), "shear": (0, 45, " degrees"),
    "shift": (0, 0.5, " (of the side)"), "brightness": (0, 0.9, " (0: off)"), "contrast": (0, 0.9, " (0: off)"),
    "saturation": (0, 1, " (0: off)"), "white_balance": (0, 1, " (0: off)"), "gamma": (0, 1, " (0: off)"),
    "shadow": (0, 1, " (0: off)"), "glare": (0, 1, " (0: off)"), "blur": (0, 0.05, " (of the side; 0: off)"),
    "noise": (0, 64, " grey levels (0: off)"), "jpeg": (0, 99, " (0: off)"),
}


def _opt(default: Any, help: str, *, option: str | None = None) -> Any:
    """A config field with its help text and, when it differs from ``--<name>``, its option."""
    metadata = {"help": help} if option is None else {"help": help, "option": option}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class AugmentConfig:
    """Everything a dataset build depends on besides its input.

    A strength left at None takes its frame's default (``FRAME_DEFAULTS``) when the build
    reads the folder's frame: ``for_frame`` fills them in, and only a config so resolved draws.
    """

    n_train: int = _opt(1000, "Train images.", option="--n")
    n_val: int = _opt(300, "Val images (0: none).", option="--val")
    size: int = _opt(256, "Side of each half in px: files are (2 SIZE) x SIZE, A left, B right.")
    seed: int = _opt(0, "Random seed: the same input and seed give byte-identical files.")
    rotate: float | None = _opt(None, "Rotation drawn in +-DEGREES.")
    zoom: float | None = _opt(None, "Scale drawn log-uniformly in [1/(1+Z), 1+Z]: zooms in and out alike.")
    shear: float | None = _opt(None, "x and y shear each drawn in +-DEGREES.")
    shift: float | None = _opt(None, "x and y shift each drawn in +-FRACTION of the side.")
    hflip: bool = _opt(False, "Mirror left-right half the time (off for cards: it mirrors the rank characters).")
    vflip: bool = _opt(False, "Mirror top-bottom half the time.")
    border: Border = _opt(Border.REFLECT, "Fill for uncovered areas: reflect the photo, or the surface's median colour.")
    brightness: float | None = _opt(None, "Brightness: a gain drawn in [1-B, 1+B] (0: off).")
    contrast: float | None = _opt(None, "Contrast about mid-grey: a factor drawn in [1-C, 1+C] (0: off).")
    saturation: float | None = _opt(None, "Saturation: a factor drawn in [1-S, 1+S], 0 being grey (0: off).")
    jitter_independent: bool = _opt(False, "Draw B's brightness, contrast and saturation apart from A's "
                                           "(default: the same for both halves, as every other effect).")
    white_balance: float | None = _opt(None, "White balance: warmer or cooler, red and blue gains drawn in "
                                             "[1/(1+W), 1+W] the opposite way, and a tint a third as strong (0: off).")
    gamma: float | None = _opt(None, "Tone curve: out = in^gamma, gamma drawn log-uniformly in [1/(1+G), 1+G] "
                                     "(0: off).")
    shadow: float | None = _opt(None, "A soft-edged shadow band across half the images at a random angle and width, "
                                      "taking up to this FRACTION of the light (0: off).")
    glare: float | None = _opt(None, "A soft-edged glare band across half the images at a random angle and width, "
                                     "up to this FRACTION of the way to white (0: off).")
    blur: float | None = _opt(None, "Gaussian blur, sigma drawn in [0, B] of the side (0.006: up to 1.5 px "
                                    "at 256 px; 0: off).")
    noise: float | None = _opt(None, "Sensor noise (luminance), sigma drawn in [0, N] grey levels (0: off).")
    jpeg: int | None = _opt(None, "JPEG re-compression of half the images at a quality drawn in [100-Q, 100], "
                                  "before the file's own (0: off).")
    holdout: int = _opt(0, "Keep K whole pairs (drawn by the seed) out of train; val comes from them only.")
    val_sources: tuple[str, ...] = _opt((), "Or name the pairs kept out of train, comma-separated: s1,s2.")

    def __post_init__(self) -> None:
        _require(self.n_train >= 1, "n_train", f"must be at least 1, got {self.n_train}")
        _require(self.n_val >= 0, "n_val", f"must be 0 or more, got {self.n_val}")
        _require(8 <= self.size <= 4096, "size", f"must be between 8 and 4096 px, got {self.size}")
        _require(self.seed >= 0, "seed", f"must be 0 or more, got {self.seed}")
        for name, (low, high, unit) in _RANGES.items():
            value = getattr(self, name)
            _require(value is None or low <= value <= high, name,
                     f"must be between {low} and {high}{unit}, got {value}")
        _require(self.holdout >= 0, "holdout", f"must be 0 or more, got {self.holdout}")
        if self.holdout and self.val_sources:
            raise CardprepError(f"use {option('holdout')} or {option('val_sources')}, not both")
        _require(self.n_val > 0 or not (self.holdout or self.val_sources), "n_val",
                 f"is 0, but holding pairs out for val ({option('holdout')}, {option('val_sources')}) needs val images")
        _require(len(set(self.val_sources)) == len(self.val_sources), "val_sources",
                 f"repeats a name: {', '.join(self.val_sources)}")

    def for_frame(self, frame: Frame) -> AugmentConfig:
        """This config with every strength left at None set to ``frame``'s default."""
        return replace(self, **{name: value for name, value in FRAME_DEFAULTS[frame].items()
                                if getattr(self, name) is None})

    @property
    def resolved(self) -> bool:
        return all(getattr(self, name) is not None for name in FRAME_DEFAULTS[Frame.PHOTO])

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
class Band:
    """A straight band of shadow or glare across an image, soft at its edges: strength 0 is none.

    Lengths are fractions of the image's side. The band is at full strength within ``width / 2``
    of its centre line and fades to nothing over a further ``edge`` (a smoothstep).
    """

    strength: float = 0.0  # shadow: the share of the light taken; glare: the share of the way to white
    angle: float = 0.0  # direction of the band's normal in degrees, clockwise on screen: 0 is an upright band
    offset: float = 0.0  # the centre line's distance from the image's centre along the normal
    width: float = 0.0
    edge: float = 0.0


@dataclass(frozen=True)
class Camera:
    """The light and the camera of one image, applied alike to both halves: the identity by default."""

    red_gain: float = 1.0  # white balance, on red and blue relative to green (as a camera's): mostly
    # along the warm-cool axis (red up, blue down), as light sources differ, with a smaller tint
    blue_gain: float = 1.0
    gamma: float = 1.0  # tone curve: out = 255 (in / 255) ** gamma
    shadow: Band = Band()
    glare: Band = Band()
    blur: float = 0.0  # Gaussian sigma as a fraction of the side
    noise: float = 0.0  # Gaussian sigma in grey levels, the same on the three channels (luminance noise)
    noise_seed: int = 0  # the noise field's own stream, so the field is a function of the row
    jpeg_quality: int = 0  # re-compressed once at this JPEG quality; 0: not (half the images)

    @property
    def is_identity(self) -> bool:
        return self == Camera()


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
    camera: Camera = Camera()


# Uniforms per draw, all always drawn, so switching an effect on keeps every other value; the
# first 14 are those of the photo frame's draw before the camera effects existed.
_DRAWS_PER_IMAGE = 30


def draw_params(seed: int, config: AugmentConfig) -> AugmentParams:
    """The parameters of the image with this ``seed``: a pure function of (seed, config).

    ``config`` must be resolved for a frame (``AugmentConfig.for_frame``).
    """
    if not config.resolved:
        raise ValueError("draw_params needs a config resolved for a frame: config.for_frame(frame)")
    rng = np.random.default_rng(seed)
    u = 2.0 * rng.random(_DRAWS_PER_IMAGE) - 1.0  # uniform in [-1, 1)
    noise_seed = int(rng.integers(1, 2**31))
    strengths = (config.brightness, config.contrast, config.saturation)
    jitter_a = _jitter_from(u[8:11], strengths)
    return AugmentParams(
        angle=float(u[0] * config.rotate),
        scale=_log_uniform(u[1], config.zoom),
        shear_x=float(u[2] * config.shear),
        shear_y=float(u[3] * config.shear),
        tx=float(u[4] * config.shift),
        ty=float(u[5] * config.shift),
        hflip=bool(config.hflip and u[6] < 0),
        vflip=bool(config.vflip and u[7] < 0),
        jitter_a=jitter_a,
        jitter_b=_jitter_from(u[11:14], strengths) if config.jitter_independent else jitter_a,
        camera=_camera_from(u[14:], noise_seed, config),
    )


def _log_uniform(u: float, strength: float) -> float:
    """(1 + strength) ** u: for u uniform in [-1, 1), a factor in [1/(1+strength), 1+strength], as often
    below 1 as above; exactly 1 at strength 0."""
    return float(math.exp(u * math.log1p(strength)))


def _jitter_from(u: np.ndarray, strengths: tuple[float, ...]) -> Jitter:
    if not any(strengths):
        return Jitter()
    return Jitter(*(float(1.0 + v * strength) for v, strength in zip(u, strengths)))


def _camera_from(u: np.ndarray, noise_seed: int, config: AugmentConfig) -> Camera:
    """The camera effects from 16 uniforms in [-1, 1); an effect at strength 0 keeps its identity value."""
    noise = float(config.noise * (u[14] + 1) / 2)
    return Camera(
        red_gain=_log_uniform(u[0] + u[1] / 3, config.white_balance),
        blue_gain=_log_uniform(-u[0] + u[1] / 3, config.white_balance),
        gamma=_log_uniform(u[2], config.gamma),
        shadow=_band_from(u[3:8], config.shadow),
        glare=_band_from(u[8:13], config.glare),
        blur=float(config.blur * (u[13] + 1) / 2),
        noise=noise,
        noise_seed=noise_seed if noise else 0,
        jpeg_quality=int(round(100 - config.jpeg * float(u[15]))) if u[15] > 0 and config.jpeg else 0,
    )


def _band_from(u: np.ndarray, strength: float) -> Band:
    """A band on half the images (u[0] > 0), at any angle, crossing the middle 80% of the image."""
    drawn = strength * max(0.0, float(u[0]))
    if drawn == 0:
        return Band()
    return Band(strength=drawn, angle=float(90 * (u[1] + 1)), offset=float(0.4 * u[2]),
                width=float(0.05 + 0.225 * (u[3] + 1)), edge=float(0.02 + 0.09 * (u[4] + 1)))


def image_seed(seed: int, split: Split, index: int) -> int:
    """The seed of image ``index`` of ``split``: independent of the others, of n and of workers."""
    split_key = list(Split).index(split)
    return int(np.random.SeedSequence([seed, split_key, index]).generate_state(1)[0])

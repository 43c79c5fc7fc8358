"""The pure image functions of augment: one affine for both halves, borders, jitter, the file.

No randomness here: every function is a function of its arguments, the parameters coming
from :func:`cardprep.augment.params.draw_params`. Both halves go through the same matrix, so
they can never get different geometry.

Why not albumentations itself: importing albumentations 2.0.8 imports torch (docs/design.md:
no torch in cardprep) and asks PyPI for a newer version, 3 s before the first image (measured
here), and what a seed draws would depend on its version. The transform below is the seed's
set (rotate, zoom, shear, shift, flips) as one affine matrix applied by ``cv2.warpAffine``.

Conventions: images are (H, W, 3) uint8 BGR; points (x, y) with pixel centres at integer
coordinates; matrices map source pixels to output pixels (``out_from_source``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry
from cardprep.augment.params import AugmentParams, Border, Jitter
from cardprep.common.images import encode_image
from cardprep.errors import CardprepError

JPEG_QUALITY = 95  # Contract 3


def out_from_source(params: AugmentParams, source_hw: tuple[int, int], size: int) -> np.ndarray:
    """The 3x3 affine matrix taking pixel coordinates of the source to those of an output half.

    Identity params fit the whole source into the size x size half, centred, aspect kept.
    Order about the centre: flips, zoom, shear, rotation, then the shift.
    """
    height, width = source_hw
    fit = size / max(height, width)
    shear = np.array([[1.0, math.tan(math.radians(params.shear_x)), 0.0],
                      [math.tan(math.radians(params.shear_y)), 1.0, 0.0], [0.0, 0.0, 1.0]])
    flips = geometry.scaling(-1.0 if params.hflip else 1.0, -1.0 if params.vflip else 1.0)
    centre_out = (size - 1) / 2
    return (geometry.translation(centre_out + params.tx * size, centre_out + params.ty * size)
            @ geometry.rotation(params.angle) @ shear @ geometry.scaling(params.scale * fit) @ flips
            @ geometry.translation(-(width - 1) / 2, -(height - 1) / 2))


@dataclass(frozen=True)
class PreparedPair:
    """A source pair made ready once for many draws.

    Area-filtered down to about the output size: shrinking once with INTER_AREA, then warping
    at a zoom near 1, is anti-aliased and cheap, where warping 512 px straight to 256 px with
    bilinear sampling would alias. Held as BGRA: OpenCV's 4-channel warp is bit-identical to
    the 3-channel one and a third faster (vectorised path; measured 0.55 vs 0.85 ms at 256 px).
    """

    source_hw: tuple[int, int]
    a: np.ndarray  # (h, w, 4) uint8 BGRA, h and w about the output size
    b: np.ndarray
    fill_a: tuple[float, ...]  # median colour of the outer ring, for Border.SURFACE
    fill_b: tuple[float, ...]


def prepare_pair(a: np.ndarray, b: np.ndarray, *, size: int) -> PreparedPair:
    """Make an aligned (A, B) pair of BGR images ready for many ``render`` calls at ``size``."""
    if a.shape != b.shape:
        raise CardprepError(f"A is {a.shape[1]}x{a.shape[0]} but B is {b.shape[1]}x{b.shape[0]}; "
                            "aligned halves must have the same size")
    height, width = a.shape[:2]
    fit = size / max(height, width)
    if fit < 1:
        shrunk = (max(1, round(width * fit)), max(1, round(height * fit)))
        a, b = (cv2.resize(x, shrunk, interpolation=cv2.INTER_AREA) for x in (a, b))
    a, b = (cv2.cvtColor(x, cv2.COLOR_BGR2BGRA) for x in (a, b))
    return PreparedPair((height, width), a, b, _ring_median(a), _ring_median(b))


def _ring_median(image: np.ndarray, width: int = 4) -> tuple[float, ...]:
    channels = image.shape[2]
    ring = np.concatenate([image[:width].reshape(-1, channels), image[-width:].reshape(-1, channels),
                           image[:, :width].reshape(-1, channels), image[:, -width:].reshape(-1, channels)])
    return tuple(float(v) for v in np.median(ring, axis=0))


def render(pair: PreparedPair, params: AugmentParams, *, size: int, border: Border) -> tuple[np.ndarray, np.ndarray]:
    """Both (size, size, 3) BGR halves of one image: the same matrix for A and B, then each half's jitter."""
    height, width = pair.source_hw
    prepared_h, prepared_w = pair.a.shape[:2]
    # Prepared pixel centres back to source pixel centres (the shrink maps edges to edges).
    source_from_prepared = (geometry.translation(-0.5, -0.5) @ geometry.scaling(width / prepared_w, height / prepared_h)
                            @ geometry.translation(0.5, 0.5))
    matrix = (out_from_source(params, pair.source_hw, size) @ source_from_prepared)[:2]
    border_mode = cv2.BORDER_REFLECT_101 if border is Border.REFLECT else cv2.BORDER_CONSTANT
    halves = []
    for image, fill, jitter in ((pair.a, pair.fill_a, params.jitter_a), (pair.b, pair.fill_b, params.jitter_b)):
        warped = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border_mode,
                                borderValue=fill)  # the fill is used by BORDER_CONSTANT only
        warped = cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR)
        halves.append(warped if jitter.is_identity else apply_jitter(warped, jitter))
    return halves[0], halves[1]


def apply(a: np.ndarray, b: np.ndarray, params: AugmentParams, *, size: int = 256,
          border: Border = Border.REFLECT) -> tuple[np.ndarray, np.ndarray]:
    """Transform an aligned pair with ``params``: the two size x size halves."""
    return render(prepare_pair(a, b, size=size), params, size=size, border=border)


def apply_jitter(image: np.ndarray, jitter: Jitter) -> np.ndarray:
    """Brightness and contrast through one lookup table, then saturation towards grey."""
    values = np.arange(256, dtype=np.float64)
    table = np.clip((values * jitter.brightness - 127.5) * jitter.contrast + 127.5 + 0.5, 0, 255).astype(np.uint8)
    out = cv2.LUT(image, table)
    if jitter.saturation != 1.0:
        grey = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        out = cv2.addWeighted(out, jitter.saturation, grey, 1.0 - jitter.saturation, 0.0)
    return out


def side_by_side(a: np.ndarray, b: np.ndarray) -> bytes:
    """The dataset file: A left, B right, JPEG at Contract 3's quality."""
    return encode_image(np.hstack([a, b]), ".jpg", jpeg_quality=JPEG_QUALITY)

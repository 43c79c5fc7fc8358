"""The pure image functions of augment: one affine for both halves, borders, jitter, the
light and camera effects, the file.

No randomness here: every function is a function of its arguments, the parameters coming
from :func:`cardprep.augment.params.draw_params`. Both halves go through the same matrix and
the same camera effects (one noise field, one band, one blur), so they can never get
different geometry or light.

Why not albumentations: it has these effects and paired targets, but cardprep cannot use it.
Importing albumentations 2.0.8 imports torch wherever torch is installed (its ``__init__``
imports ``albumentations.pytorch``, also for ``albumentations.augmentations.pixel.functional``
alone; measured here: ``'torch' in sys.modules`` is True after ``import albumentations``, 3.3 to
5.8 s on this shared machine against 0.3 s for cv2 and numpy), and cardprep must never import
torch (tests/test_layering.py). It also asks PyPI for a newer version on import unless told
not to. And what a seed draws would depend on its version: a manifest row would no longer
remake its image byte for byte after an upgrade. The effects below are a few lines of OpenCV
and numpy each, their parameters drawn by :mod:`cardprep.augment.params`.

Conventions: images are (H, W, 3) uint8 BGR; points (x, y) with pixel centres at integer
coordinates; matrices map source pixels to output pixels (``out_from_source``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import cv2
import numpy as np

from cardprep import geometry
from cardprep.augment.params import AugmentParams, Band, Border, Camera, Jitter
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
    """Both (size, size, 3) BGR halves of one image: the same matrix for A and B, each half's
    jitter, then the same camera effects."""
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
    if params.camera.is_identity:
        return halves[0], halves[1]
    camera = camera_effects(params.camera, (size, size))  # its maps and noise made once for both halves
    return camera(halves[0]), camera(halves[1])


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


def apply_camera(image: np.ndarray, camera: Camera) -> np.ndarray:
    """``image`` seen through ``camera``: blur, shadow and glare bands, sensor noise, white
    balance and gamma, JPEG re-compression, in a camera's order. A new array."""
    return camera_effects(camera, image.shape[:2])(image)


def camera_effects(camera: Camera, shape: tuple[int, int]) -> Callable[[np.ndarray], np.ndarray]:
    """``apply_camera`` for images of ``shape``, with its maps, noise field and table made once."""
    sigma = camera.blur * max(shape)
    gain, offset = _light_maps(camera, shape)
    table = _tone_table(camera)

    def apply(image: np.ndarray) -> np.ndarray:
        out = image
        if sigma > 0:  # optics first: the scene's light and the sensor's noise are not blurred by it
            out = cv2.GaussianBlur(out, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
        if gain is not None:  # OpenCV's arithmetic: 4 times numpy's speed here, rounding and saturating to uint8
            out = cv2.add(cv2.multiply(out, gain, dtype=cv2.CV_32F), offset, dtype=cv2.CV_8U)
        elif offset is not None:
            out = cv2.add(out, offset, dtype=cv2.CV_8U)
        if table is not None:
            out = cv2.LUT(out, table)
        if camera.jpeg_quality:
            out = recompress(out, camera.jpeg_quality)
        return out if out is not image else image.copy()

    return apply


def _light_maps(camera: Camera, shape: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(gain, offset), (H, W, 3) float32, with out = in x gain + offset: the shadow takes light,
    the glare adds it towards white, the noise adds its field. Both None when there is none of
    them; gain None when there is only noise."""
    shadow, glare = (band.strength * band_profile(band, shape) if band.strength else None
                     for band in (camera.shadow, camera.glare))
    if shadow is None and glare is None and not camera.noise:
        return None, None
    gain = None
    if shadow is not None or glare is not None:
        gain = np.ones(shape, np.float32) if shadow is None else 1.0 - shadow
        if glare is not None:
            gain *= 1.0 - glare
        gain = cv2.merge([gain] * 3)
    offset = np.zeros(shape, np.float32) if glare is None else 255.0 * glare
    if camera.noise:  # luminance noise: a phone's denoising and a codec's 4:2:0 leave little of the chroma noise
        offset = offset + np.float32(camera.noise) * gaussian_field(camera.noise_seed, shape)
    return gain, cv2.merge([offset] * 3)


# The standard normal distribution's 256 quantiles at (k + 0.5) / 256, scaled to a standard
# deviation of exactly 1: the noise field is one random byte per pixel looked up here.
_NORMAL = np.array([NormalDist().inv_cdf((k + 0.5) / 256) for k in range(256)])
_NORMAL_QUANTILES = (_NORMAL / _NORMAL.std()).astype(np.float32)


def gaussian_field(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Normal float32 values of mean 0 and standard deviation 1 from ``seed``, quantised to 256
    levels (cut at 2.9 sigma). Random bytes through a table: a third of the time of
    ``Generator.standard_normal`` here (0.05 against 0.16 ms CPU for 128 x 128), and the field
    cannot change with numpy's choice of normal sampler."""
    noise = np.frombuffer(np.random.default_rng(seed).bytes(math.prod(shape)), np.uint8)
    return _NORMAL_QUANTILES[noise].reshape(shape)


def band_profile(band: Band, shape: tuple[int, int]) -> np.ndarray:
    """The band's (H, W) float32 weight: 1 within ``width / 2`` of its centre line, falling to 0
    over ``edge`` beyond (a smoothstep); lengths are fractions of the longer side."""
    height, width = shape
    side = max(height, width)
    theta = math.radians(band.angle)
    across_x = (np.arange(width, dtype=np.float32) - (width - 1) / 2) * np.float32(math.cos(theta))
    across_y = (np.arange(height, dtype=np.float32) - (height - 1) / 2) * np.float32(math.sin(theta))
    distance = np.abs(across_y[:, None] + (across_x - np.float32(band.offset * side))[None, :])
    edge = max(band.edge * side, 1e-6)
    t = np.clip((np.float32(band.width * side / 2 + edge) - distance) / np.float32(edge), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _tone_table(camera: Camera) -> np.ndarray | None:
    """One lookup table per channel (BGR) for white balance then gamma; None for the identity."""
    if (camera.red_gain, camera.blue_gain, camera.gamma) == (1.0, 1.0, 1.0):
        return None
    values = np.arange(256, dtype=np.float64) / 255.0
    channels = [np.clip(values * gain, 0.0, 1.0) ** camera.gamma for gain in (camera.blue_gain, 1.0, camera.red_gain)]
    return np.floor(np.stack(channels, axis=-1) * 255.0 + 0.5).astype(np.uint8).reshape(256, 1, 3)


def recompress(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` after one JPEG round trip at ``quality``, as footage from a video codec or a
    messaging app looks. Each half goes alone, so equal halves stay equal byte for byte."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.shape} {image.dtype} image as JPEG")
    return cv2.imdecode(buffer, cv2.IMREAD_COLOR)


def side_by_side(a: np.ndarray, b: np.ndarray) -> bytes:
    """The dataset file: A left, B right, JPEG at Contract 3's quality."""
    return encode_image(np.hstack([a, b]), ".jpg", jpeg_quality=JPEG_QUALITY)

"""Reading and writing images: (H, W, 3) uint8 BGR arrays, as everywhere in cardprep.

Reads go through ``np.fromfile`` + ``cv2.imdecode`` so unicode paths work on every
platform, and the EXIF orientation tag of phone photos is applied (a portrait photo
stored sideways comes back portrait). Writes are atomic. This is the one image reader of
both packages, with the one list of extensions they accept.

A hostile file is one ImageError naming it, never an OpenCV traceback: a PNG or JPEG whose
header claims more than :data:`MAX_PIXELS` is refused before any memory is allocated, and
any ``cv2.error`` of the decoder (its own pixel limit for other formats) is caught.
libjpeg's "Corrupt JPEG data: ..." lines, which it prints straight to the process's stderr
with no file name, are captured and logged as a warning naming the file: libjpeg recovers
from these (most are stray bytes before the end marker, which some cameras write), so the
image is used, and the user is told which one to check.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from cardprep.common.atomic import atomic_write_bytes
from cardprep.common.errors import ImageError
from cardprep.common.noise import stderr_captured

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})

# 2**28 = 268 megapixels: above the largest phone photos (200 MP), and 805 MB once decoded.
MAX_PIXELS = 2**28

log = logging.getLogger("cardprep")

_JPEG_SOI = b"\xff\xd8"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: str | Path) -> np.ndarray:
    """Decode ``path`` to (H, W, 3) uint8 BGR with EXIF orientation applied.

    Grayscale becomes 3-channel, 16-bit becomes 8-bit, and an alpha channel is composited
    onto white (transparent surroundings read as paper, not as black). Raises ImageError
    naming the file for anything unreadable, empty, truncated or not an image.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except (OSError, ValueError) as error:
        problem = getattr(error, "strerror", None) or str(error)
        raise ImageError(path, f"cannot be read ({problem})") from error
    if data.size == 0:
        raise ImageError(path, "is empty (0 bytes)")
    _check_complete(path, data)
    _check_size(path, data)
    try:
        image = _decode(path, data)
        if image is not None and _may_have_alpha(data):
            image = _composite_alpha(data, image)
    except cv2.error as error:
        raise ImageError(path, f"cannot be decoded ({_first_line(error)})") from error
    if image is None:
        raise ImageError(path, "not a readable image (corrupt, or not an image format OpenCV knows)")
    return image


def _first_line(error: cv2.error) -> str:
    """OpenCV's message without its source location: '... error: (-215:...) what'."""
    text = str(error).strip().splitlines()
    return text[-1].split("error: ")[-1] if text else "OpenCV error"


def _header_size(data: np.ndarray) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR or a JPEG's SOF segment; None for other formats."""
    raw = data[:65536].tobytes()  # the SOF of a JPEG follows its EXIF segment, at most 64 kB
    if raw.startswith(_PNG_SIGNATURE) and raw[12:16] == b"IHDR":
        return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    if not raw.startswith(_JPEG_SOI):
        return None
    at = 2
    while at + 9 <= len(raw) and raw[at] == 0xFF:
        marker = raw[at + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return int.from_bytes(raw[at + 7:at + 9], "big"), int.from_bytes(raw[at + 5:at + 7], "big")
        at += 2 + int.from_bytes(raw[at + 2:at + 4], "big")
    return None


def _check_size(path: Path, data: np.ndarray) -> None:
    size = _header_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise ImageError(path, f"claims {size[0]}x{size[1]} pixels, more than the "
                               f"{MAX_PIXELS // 10**6} megapixels an image may have here")


def _decode(path: Path, data: np.ndarray) -> np.ndarray | None:
    """cv2.imdecode, with a JPEG's libjpeg warnings turned into one warning naming ``path``."""
    if data[:2].tobytes() != _JPEG_SOI:
        return cv2.imdecode(data, cv2.IMREAD_COLOR)
    with stderr_captured() as noise:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if noise:
        log.warning("%s: %s; decoded anyway, check the image", path, "; ".join(noise))
    return image


def _check_complete(path: Path, data: np.ndarray) -> None:
    """Reject truncated files, which libjpeg/libpng would otherwise pad with grey silently."""
    head = data[:8].tobytes()
    if head.startswith(_JPEG_SOI):
        raw = data.tobytes()
        if raw.rfind(b"\xff\xd9") < raw.rfind(b"\xff\xda"):
            raise ImageError(path, "is a truncated JPEG (no end-of-image marker after the image data)")
    elif head == _PNG_SIGNATURE and data[-12:].tobytes().find(b"IEND") < 0:
        raise ImageError(path, "is a truncated PNG (no IEND chunk)")


def _may_have_alpha(data: np.ndarray) -> bool:
    """Whether the file may carry alpha, read from its header so opaque images decode once."""
    head = data[:26].tobytes()
    if head.startswith(_PNG_SIGNATURE):
        return len(head) == 26 and head[25] in (4, 6)  # IHDR colour type: grey+alpha, RGBA
    return head[8:12] == b"WEBP" or head[:2] in (b"II", b"MM")


def _composite_alpha(data: np.ndarray, colour: np.ndarray) -> np.ndarray:
    raw = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if raw is None or raw.ndim != 3 or raw.shape[2] != 4 or raw.shape[:2] != colour.shape[:2]:
        return colour
    scale = 255.0 / np.iinfo(raw.dtype).max if raw.dtype.kind == "u" else 255.0
    alpha = raw[..., 3:4].astype(np.float32) * (scale / 255.0)
    rgb = raw[..., :3].astype(np.float32) * scale
    return np.clip(rgb * alpha + 255.0 * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)


def square_resize(image: np.ndarray, size: int) -> np.ndarray:
    """The centred square of ``image``, resized to ``size`` x ``size``: the model's view of a
    photo or video frame (``cardprep frames`` and ``cardtrain`` both use it, so the frames a
    user extracts are exactly what the model is fed).

    INTER_AREA when shrinking: it averages every source pixel under an output pixel, so fine
    detail (the card's print, sensor noise) does not alias. INTER_CUBIC when enlarging, where
    area falls back to bilinear: cubic keeps edges sharper, and it is what cardtrain trained with.
    """
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top:top + side, left:left + side]
    if side == size:
        return np.ascontiguousarray(square)
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_CUBIC)


def encode_image(image: np.ndarray, suffix: str, *, jpeg_quality: int = 95) -> bytes:
    """Encode ``image`` in the format named by ``suffix`` ('.png', '.jpg', ...)."""
    params: list[int] = []
    if suffix.lower() in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    elif suffix.lower() == ".png":
        # Level 1: PNG is lossless at every level, and 1 is several times faster than the default 3.
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    ok, buffer = cv2.imencode(suffix, image, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.shape} {image.dtype} image as {suffix}")
    return buffer.tobytes()


def write_image(path: str | Path, image: np.ndarray, *, jpeg_quality: int = 95) -> None:
    """Write ``image`` atomically; the format follows the file suffix."""
    path = Path(path)
    atomic_write_bytes(path, encode_image(image, path.suffix, jpeg_quality=jpeg_quality))


# EXIF orientation tag -> how the stored pixels must turn to be displayed upright.
# The simulator writes the inverse so a viewer (and read_image) shows the intended photo.
EXIF_ROTATIONS = {1: 0, 3: 2, 6: 3, 8: 1}  # tag -> np.rot90 count (counter-clockwise) to display


def stored_for_exif(displayed: np.ndarray, tag: int) -> np.ndarray:
    """The pixels a camera would store so that EXIF ``tag`` displays them as ``displayed``."""
    return np.ascontiguousarray(np.rot90(displayed, -EXIF_ROTATIONS[tag]))


def with_exif_orientation(jpeg: bytes, tag: int) -> bytes:
    """Insert an Exif APP1 segment carrying only the Orientation tag into a JPEG stream.

    Replaces the JFIF APP0 segment OpenCV writes, since Exif must come first after SOI.
    """
    if tag not in EXIF_ROTATIONS:
        raise ValueError(f"EXIF orientation must be one of {sorted(EXIF_ROTATIONS)}, got {tag}")
    if not jpeg.startswith(_JPEG_SOI):
        raise ValueError("not a JPEG stream")
    rest = jpeg[2:]
    if rest[:2] == b"\xff\xe0":  # drop APP0 (JFIF)
        rest = rest[2 + int.from_bytes(rest[2:4], "big") :]
    # Big-endian TIFF header, one IFD with one entry: Orientation (0x0112), SHORT, count 1.
    ifd = (1).to_bytes(2, "big") + bytes.fromhex("0112 0003 00000001") + tag.to_bytes(2, "big") + b"\0\0"
    tiff = b"MM\x00\x2a" + (8).to_bytes(4, "big") + ifd + (0).to_bytes(4, "big")
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return _JPEG_SOI + segment + rest

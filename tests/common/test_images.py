"""cardprep.common.images against hostile files (issue 13, items 5 and 13) and the one
centre-square resize both packages use (issue 14, item 3)."""

from __future__ import annotations

import logging
import struct
import zlib

import cv2
import numpy as np
import pytest

from cardprep.common import images
from cardprep.common.errors import ImageError
from cardprep.common.images import MAX_PIXELS, read_image, square_resize


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A complete, tiny PNG whose header claims ``width`` x ``height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 8)) + _chunk(b"IEND", b"")


def _noise_jpeg(side: int = 256) -> bytes:
    ok, data = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8))
    assert ok
    return data.tobytes()


def test_a_png_header_claiming_gigapixels_is_one_error_naming_the_file(tmp_path, capfd):
    # issue 13, item 5: 74 bytes claiming 40000x30000 crashed align, augment and predict
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(40000, 30000))
    assert path.stat().st_size < 100
    with pytest.raises(ImageError, match=r"bomb.png: claims 40000x30000 pixels, more than the 268 megapixels"):
        read_image(path)
    assert capfd.readouterr().err == ""


def test_a_jpeg_header_claiming_gigapixels_is_refused_before_decoding(tmp_path):
    data = bytearray(_noise_jpeg(16))
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width
    (tmp_path / "big.jpg").write_bytes(bytes(data))
    with pytest.raises(ImageError, match="big.jpg: claims 60000x60000 pixels"):
        read_image(tmp_path / "big.jpg")


def test_an_image_just_under_the_limit_is_not_refused_by_the_header_check():
    assert images._header_size(np.frombuffer(_png_claiming(16384, 16384), np.uint8)) == (16384, 16384)
    assert 16384 * 16384 <= MAX_PIXELS


def test_an_opencv_exception_becomes_an_image_error(tmp_path, monkeypatch):
    # formats whose header is not checked here (TIFF, WebP) meet OpenCV's own limit as cv2.error
    cv2.imwrite(str(tmp_path / "x.tif"), np.zeros((4, 4, 3), np.uint8))

    def fail(*args):
        raise cv2.error("OpenCV(5.0.0) loadsave.cpp:79: error: (-215:Assertion failed) pixels <= LIMIT")

    monkeypatch.setattr(images.cv2, "imdecode", fail)
    with pytest.raises(ImageError, match=r"x.tif: cannot be decoded \(\(-215:Assertion failed\) pixels <= LIMIT\)"):
        read_image(tmp_path / "x.tif")


def test_corrupt_jpeg_data_is_a_warning_naming_the_file_not_bare_libjpeg_noise(tmp_path, capfd, caplog):
    # issue 13, item 13: libjpeg printed "Corrupt JPEG data: ..." with no file name
    data = _noise_jpeg()
    (tmp_path / "damaged.jpg").write_bytes(data[:5000] + data[5200:])
    with caplog.at_level(logging.WARNING, logger="cardprep"):
        image = read_image(tmp_path / "damaged.jpg")
    assert image.shape == (256, 256, 3)  # libjpeg recovers: the image is used
    # nothing bare: at most the warning line, where a command set up its handler earlier
    assert all(line.startswith(f"warning: {tmp_path / 'damaged.jpg'}: ") for line in capfd.readouterr().err.splitlines())
    [record] = caplog.records
    assert record.getMessage().startswith(f"{tmp_path / 'damaged.jpg'}: Corrupt JPEG data: ")
    assert record.getMessage().endswith("; decoded anyway, check the image")


def test_a_clean_jpeg_warns_nothing(tmp_path, caplog):
    (tmp_path / "clean.jpg").write_bytes(_noise_jpeg(32))
    with caplog.at_level(logging.WARNING, logger="cardprep"):
        read_image(tmp_path / "clean.jpg")
    assert caplog.records == []


@pytest.mark.parametrize("shape, size, interpolation", [
    ((120, 200, 3), 60, cv2.INTER_AREA),    # shrinking
    ((50, 30, 3), 64, cv2.INTER_CUBIC),     # enlarging
])
def test_square_resize_crops_the_centre_then_resizes(shape, size, interpolation):
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    side = min(shape[:2])
    top, left = (shape[0] - side) // 2, (shape[1] - side) // 2
    expected = cv2.resize(image[top:top + side, left:left + side], (size, size), interpolation=interpolation)
    assert np.array_equal(square_resize(image, size), expected)


def test_frames_and_the_model_see_the_same_pixels():
    # issue 14, item 3: frames enlarged with INTER_LINEAR, cardtrain with INTER_CUBIC
    from cardtrain.data import to_model_rgb

    for shape in ((90, 160, 3), (30, 40, 3)):
        frame = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
        assert np.array_equal(to_model_rgb(frame, 64)[..., ::-1], square_resize(frame, 64))

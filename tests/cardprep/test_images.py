import pickle

import cv2
import numpy as np
import pytest

from cardprep.common.errors import ImageError
from cardprep.common.images import encode_image, read_image, stored_for_exif, with_exif_orientation, write_image
from cardprep.common.parallel import ordered_map


def gradient(height: int = 60, width: int = 80) -> np.ndarray:
    y, x = np.mgrid[:height, :width]
    return np.dstack([x * 3, y * 4, (x + y) * 2]).astype(np.uint8)


@pytest.mark.parametrize("tag", [1, 3, 6, 8])
def test_exif_orientation_is_honoured(tmp_path, tag):
    displayed = gradient()
    path = tmp_path / "phone.jpg"
    path.write_bytes(with_exif_orientation(encode_image(stored_for_exif(displayed, tag), ".jpg"), tag))
    read = read_image(path)
    assert read.shape == displayed.shape
    assert np.abs(read.astype(int) - displayed).mean() < 3


def test_png_round_trip_is_lossless(tmp_path):
    image = gradient()
    write_image(tmp_path / "a.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image)


def test_grayscale_becomes_three_channels(tmp_path):
    cv2.imwrite(str(tmp_path / "g.png"), gradient()[..., 0])
    image = read_image(tmp_path / "g.png")
    assert image.shape == (60, 80, 3)
    np.testing.assert_array_equal(image[..., 0], image[..., 2])


def test_alpha_is_composited_onto_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:5, ..., 3] = 255  # top half opaque black, bottom half transparent
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    image = read_image(tmp_path / "a.png")
    assert (image[:5] == 0).all() and (image[5:] == 255).all()


@pytest.mark.parametrize("content,problem", [
    (b"", "is empty"),
    (b"this is a text file, not a photo\n", "not a readable image"),
    (b"\xff\xd8\xff\xe0" + bytes(200), "not a readable image"),
])
def test_unusable_files_name_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=problem) as caught:
        read_image(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_file_is_refused(tmp_path, suffix):
    data = encode_image(gradient(), suffix)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ImageError, match="truncated"):
        read_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="cannot be read"):
        read_image(tmp_path / "nowhere.jpg")


def test_image_errors_survive_pickling():
    error = pickle.loads(pickle.dumps(ImageError("x/y.jpg", "is empty (0 bytes)")))
    assert isinstance(error, ImageError) and str(error) == "x/y.jpg: is empty (0 bytes)"


def _square_or_fail(n: int) -> int:
    if n == 3:
        raise ImageError(f"{n}.jpg", "is empty (0 bytes)")
    return n * n


def test_ordered_map_keeps_job_order_and_carries_worker_errors():
    cv2.resize(gradient(), (40, 30))  # OpenCV's thread pool is running before the workers start
    assert list(ordered_map(_square_or_fail, [5, 1, 4, 2], workers=2)) == [25, 1, 16, 4]
    with pytest.raises(ImageError, match="3.jpg"):
        list(ordered_map(_square_or_fail, [1, 2, 3, 4], workers=2))

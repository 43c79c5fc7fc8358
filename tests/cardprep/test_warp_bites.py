"""cardprep.warp against exact truth: shrinking before the warp moves nothing (issue 15).

The shrink's pixel-centre map is easy to get wrong by half a shrunk pixel, which moves A and B
alike (so registration tests cannot see it) by a fifth of an output pixel: tools/mutations.py
drops it, and only this test fails. A smooth blob's centroid is carried exactly by the map.
"""

import numpy as np
import pytest

from cardprep import geometry
from cardprep.warp import warp

CENTRE = np.array([600.3, 450.7])  # photo pixels, off the pixel grid on purpose
SIGMA = 20.0


def blob(shape: tuple[int, int]) -> np.ndarray:
    y, x = np.mgrid[:shape[0], :shape[1]]
    value = 250 * np.exp(-((x - CENTRE[0]) ** 2 + (y - CENTRE[1]) ** 2) / (2 * SIGMA**2))
    return np.repeat(np.round(value).astype(np.uint8)[..., None], 3, axis=2)


def centroid(image: np.ndarray) -> np.ndarray:
    weight = image[..., 0].astype(np.float64)
    y, x = np.mgrid[:weight.shape[0], :weight.shape[1]]
    return np.array([(x * weight).sum(), (y * weight).sum()]) / weight.sum()


@pytest.mark.parametrize("shrink", [1.0, 0.5, 0.2])
def test_the_blob_lands_where_the_map_puts_it_however_much_the_photo_is_shrunk_first(shrink):
    photo = blob((900, 1200))
    # Photo to a 10x smaller frame, pixel centres at integers in both: x_out = 0.1 (x + 0.5) - 0.5.
    out_from_photo = geometry.translation(-0.5, -0.5) @ geometry.scaling(0.1) @ geometry.translation(0.5, 0.5)
    expected = geometry.apply_homography(out_from_photo, CENTRE[None])[0]
    image = warp(photo, out_from_photo, (120, 90), shrink=shrink)
    assert np.linalg.norm(centroid(image) - expected) <= 0.03  # dropping the shrink's pixel centres: 0.2 px

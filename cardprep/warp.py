"""Warping a photo into a smaller frame without aliasing: area-average first, then warp once.

A plain ``cv2.warpPerspective`` samples the photo at the output's pixel spacing; when a 12 MP
photo's card lands on a 256 px frame, every fourth pixel or so is read and fine print
aliases. Shrinking the photo by area averaging until the card is at most twice its output
size, then warping once, keeps the result sharp without that noise. Align's output frames and
the card frame of prediction both go through ``warp``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cardprep import geometry


@dataclass(frozen=True)
class Shrunk:
    """A photo area-averaged once, to be warped into one output frame as often as needed (align
    warps B twice when it turns an upside-down card: the card, and the table around it)."""

    image: np.ndarray  # (H, W, 3) uint8 BGR
    from_photo: np.ndarray  # photo pixels -> ``image`` pixels

    def warp(self, out_from_photo: np.ndarray, size: tuple[int, int], *,
             border: int = cv2.BORDER_REFLECT) -> np.ndarray:
        """The photo in the output frame of ``size`` (width, height)."""
        return cv2.warpPerspective(self.image, out_from_photo @ np.linalg.inv(self.from_photo), size,
                                   flags=cv2.INTER_LINEAR, borderMode=border)


def shrunk(photo: np.ndarray, factor: float) -> Shrunk:
    """``photo`` area-averaged by ``factor`` (<= 1), with the map from photo to shrunk pixels."""
    if factor >= 1.0:
        return Shrunk(photo, np.eye(3))
    size = (max(1, round(photo.shape[1] * factor)), max(1, round(photo.shape[0] * factor)))
    return Shrunk(cv2.resize(photo, size, interpolation=cv2.INTER_AREA), geometry.resize_map(photo.shape, size))


def shrink_factor(out_from_photo: np.ndarray, corners: np.ndarray) -> float:
    """How far to shrink a photo before the warp: until the quad ``corners`` (photo pixels) is at
    most twice as long as it will be in the output."""
    in_output = geometry.long_side(geometry.apply_homography(out_from_photo, corners))
    return min(1.0, 2.0 * in_output / geometry.long_side(corners))


def warp(photo: np.ndarray, out_from_photo: np.ndarray, size: tuple[int, int], *, shrink: float = 1.0,
         border: int = cv2.BORDER_REFLECT) -> np.ndarray:
    """``photo`` in the output frame of ``size`` (width, height), shrunk by ``shrink`` first."""
    return shrunk(photo, shrink).warp(out_from_photo, size, border=border)

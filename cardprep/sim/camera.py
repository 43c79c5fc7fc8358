"""The simulator's camera and geometry: a pinhole camera over the table plane, where the card lies.

Frames: the table plane and a card's own frame are in millimetres (a card covers
[0, 63] x [0, 88], x right, y down); photos in pixels, OpenCV pixel centres. Every map is a
3x3 homography named ``target_from_source``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cardprep import geometry
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

CARD_CORNERS_MM = np.array([[0.0, 0.0], [CARD_WIDTH_MM, 0.0], [CARD_WIDTH_MM, CARD_HEIGHT_MM], [0.0, CARD_HEIGHT_MM]])
CARD_CENTRE_MM = (CARD_WIDTH_MM / 2, CARD_HEIGHT_MM / 2)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera above the table plane z = 0 (mm), looking down (+z)."""

    focal: float  # px
    centre: tuple[float, float]  # principal point, px
    position: tuple[float, float, float]  # mm; z < 0 is above the table
    tilt: tuple[float, float, float]  # rotations about x, y, z (the optical axis), degrees

    def rotation(self) -> np.ndarray:
        """World-to-camera rotation: roll about the optical axis after the two tilts."""
        rx, ry, rz = np.radians(self.tilt)
        rot_x = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
        rot_y = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
        rot_z = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
        return rot_z @ rot_x @ rot_y

    def intrinsics(self) -> np.ndarray:
        return np.array([[self.focal, 0, self.centre[0]], [0, self.focal, self.centre[1]], [0, 0, 1]])

    def photo_from_table(self) -> np.ndarray:
        r = self.rotation()
        t = -r @ np.asarray(self.position)
        return geometry.normalized(self.intrinsics() @ np.c_[r[:, 0], r[:, 1], t])

    def ray(self, pixel: np.ndarray) -> np.ndarray:
        """World direction of the ray through ``pixel``, scaled to unit depth (z = 1)."""
        direction = self.rotation().T @ np.linalg.solve(self.intrinsics(), np.r_[pixel, 1.0])
        return direction / direction[2]

    def shaken(self, rng: np.random.Generator) -> Camera:
        """The same camera after a small hand movement between two shots."""
        x, y, z = self.position
        dx, dy, dz = rng.normal(0.0, (2.0, 2.0, 3.0))
        tilt = tuple(a + d for a, d in zip(self.tilt, rng.normal(0.0, (0.4, 0.4, 0.6))))
        return Camera(self.focal, self.centre, (x + dx, y + dy, z + dz), tilt)


def card_scale(photo_from_card: np.ndarray) -> float:
    """Texture px per mm so that the drawn card is a little sharper than the photo sees it."""
    return 1.1 * max(local_scale(photo_from_card, corner) for corner in CARD_CORNERS_MM)


def local_scale(photo_from_plane: np.ndarray, point: np.ndarray) -> float:
    """Photo pixels per plane unit around ``point`` (the larger of the two axes)."""
    ends = geometry.apply_homography(photo_from_plane, point + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    return float(max(np.linalg.norm(ends[1] - ends[0]), np.linalg.norm(ends[2] - ends[0])))



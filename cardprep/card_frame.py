"""The card frame: the model's square view of one card, with a little of the table around it.

Training pairs (``cardprep align --frame card``) and new footage (``cardtrain predict --card``)
both go through ``frame_from_photo``, so the model sees a card in prediction exactly as it saw
the cards it learnt from, and the translated card goes back into the footage through the
inverse of the same map.

The 63 x 88 mm card and a margin of ``MARGIN`` of its height on every side are *stretched* to
the square, not padded: padding would spend about a quarter of the model's input on a constant
fill and give the card fewer pixels, while a stretch that is the same in training and in
prediction costs nothing (the model never sees an unstretched card) and is undone exactly by
the paste-back. The margin keeps the card's edge and rounded corners inside the view, so the
model learns to leave them alone.

Convention: corners are (4, 2) photo pixels in the card's own order (top-left, top-right,
bottom-right, bottom-left, as ``cardprep.detect`` returns them), pixel centres at integers.
"""

from __future__ import annotations

import cv2
import numpy as np

from cardprep import geometry, warp
from cardprep.spec import CARD_HEIGHT_MM, CARD_WIDTH_MM

MARGIN = 0.06  # of the card's height, on each side (5.3 mm of table)


def card_corners_in_frame(size: int) -> np.ndarray:
    """Where the card's four corners lie in a ``size`` x ``size`` card frame (pixels)."""
    pad = MARGIN * CARD_HEIGHT_MM
    scale_x, scale_y = size / (CARD_WIDTH_MM + 2 * pad), size / (CARD_HEIGHT_MM + 2 * pad)
    card = np.array([[0, 0], [CARD_WIDTH_MM, 0], [CARD_WIDTH_MM, CARD_HEIGHT_MM], [0, CARD_HEIGHT_MM]], np.float64)
    return (card + pad) * [scale_x, scale_y] - 0.5


def frame_from_photo(corners: np.ndarray, size: int) -> np.ndarray:
    """Homography from photo pixels to the ``size`` x ``size`` card frame of the card at ``corners``."""
    return geometry.quad_homography(np.asarray(corners, np.float64), card_corners_in_frame(size))


def card_view(photo: np.ndarray, corners: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The card at ``corners`` rectified into its ``size`` square frame, and the map used.

    A card much larger than the frame is first area-averaged (``cardprep.warp``), then warped
    once, exactly as align cuts its training pairs.
    """
    frame_from = frame_from_photo(corners, size)
    view = warp.warp(photo, frame_from, (size, size), shrink=warp.shrink_factor(frame_from, corners),
                     border=cv2.BORDER_REPLICATE)
    return view, frame_from


def paste_card(photo: np.ndarray, view: np.ndarray, corners: np.ndarray, *, feather_px: float = 2.0) -> np.ndarray:
    """``photo`` with the card at ``corners`` replaced by ``view`` (a card frame), a new array.

    Only pixels inside the card's outline change; over the last ``feather_px`` pixels inside
    the edge the view fades into the photo, so the seam does not show. Every pixel outside the
    outline keeps its exact value. Work is confined to the card's bounding box.
    """
    height, width = photo.shape[:2]
    corners = np.asarray(corners, np.float64)
    x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 2, [width, height])
    result = photo.copy()
    if x1 <= x0 or y1 <= y0:
        return result
    box_from_photo = geometry.translation(-x0, -y0)
    box_from_view = box_from_photo @ np.linalg.inv(frame_from_photo(corners, view.shape[0]))
    warped = cv2.warpPerspective(view, box_from_view, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    alpha = _inside_weight(geometry.apply_homography(box_from_photo, corners), warped.shape[:2], feather_px)
    box = result[y0:y1, x0:x1].astype(np.float32)
    blended = box + alpha[..., None] * (warped.astype(np.float32) - box)
    result[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return result


def _inside_weight(quad: np.ndarray, shape: tuple[int, int], feather_px: float) -> np.ndarray:
    """Per pixel: 0 outside ``quad``, rising to 1 at ``feather_px`` inside its edge.

    The rasterised outline's own border ring (depth 1) stays at 0: rasterising may take in a
    pixel whose centre lies a little outside the true outline, and no such pixel may change.
    """
    inside = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(quad * 16).astype(np.int32), 1, cv2.LINE_8, shift=4)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    return np.clip((depth - 1.0) / max(feather_px, 1e-6), 0.0, 1.0).astype(np.float32)

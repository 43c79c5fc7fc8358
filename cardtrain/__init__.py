"""pix2pix training and inference on any folder of side-by-side A|B images.

Conventions used throughout: tensors are ``(B, 3, H, W)`` float in [-1, 1], channels in RGB
order; images read or written with OpenCV are ``(H, W, 3)`` uint8 in BGR order, and the
conversion happens in exactly two places (:func:`cardtrain.data.to_model_rgb` on the way in,
:func:`cardtrain.data.to_bgr_images` on the way out). cardtrain never imports cardprep.
"""

from cardtrain.config import PRESETS, TrainConfig
from cardtrain.errors import CardtrainError

__all__ = ["PRESETS", "CardtrainError", "TrainConfig"]

"""The card trick on footage: translate the card, leave the rest of every frame as it was.

A model trained on 13 photo pairs learns the 13 backgrounds if it sees whole photos (pip IoU
0.39 on new photos against 0.75 for the card alone, measured: benchmarks/RESULTS.md). So for
new footage the card is found in each frame and followed from frame to frame
(``cardprep.track``), rectified into the model's card frame (``cardprep.card_frame``, the
same view ``cardprep align --frame card`` trains on), translated, and pasted back at the
frame's own resolution with a feathered edge. Frames without a card pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cardprep.card_frame import card_view, paste_card
from cardprep.track import CardFollower, FollowConfig

Translate = Callable[[list[np.ndarray]], np.ndarray]  # square BGR views -> (B, S, S, 3) BGR


class CardTrick:
    """Frames in order -> the same frames with the card translated.

    ``translate`` is the model (a :class:`cardtrain.predict.Translator`, or any function of
    square BGR views); ``size`` its input side. Frames must come in their video order: the
    follower smooths the card's corners over time. ``frames_without_card`` counts the frames
    that passed through unchanged.
    """

    def __init__(self, translate: Translate, size: int, follow: FollowConfig = FollowConfig(), *,
                 find: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.translate, self.size = translate, size
        self.follower = CardFollower(follow, find=find)  # find: the detector, or detections made ahead
        self.frames_without_card = 0

    def __call__(self, frames: list[np.ndarray], *, side_by_side: bool = False) -> list[np.ndarray]:
        found = [(i, corners) for i, frame in enumerate(frames)
                 if (corners := self.follower.update(frame)) is not None]
        self.frames_without_card += len(frames) - len(found)
        results = [frame.copy() for frame in frames]
        if found:
            views = [card_view(frames[i], corners, self.size)[0] for i, corners in found]
            for (i, corners), translated in zip(found, self.translate(views)):
                results[i] = paste_card(frames[i], translated, corners)
        if side_by_side:
            return [np.concatenate([frame, result], axis=1) for frame, result in zip(frames, results)]
        return results

"""The card trick on frames: the card changes, nothing else does, cardless frames pass through."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cardprep.detect import find_card
from cardprep.sim import plan_clip, render_clip
from cardtrain.card_trick import CardTrick

SIZE = 64


def paint_red(views: list[np.ndarray]) -> np.ndarray:
    """A stand-in model: every card view comes back pure red."""
    assert all(v.shape == (SIZE, SIZE, 3) for v in views)
    return np.stack([np.full_like(v, (0, 0, 255)) for v in views])


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    clip = plan_clip(frames=6, size=(320, 240), seed=3)
    return [frame for frame in render_clip(clip)]


def outline_mask(frame: np.ndarray, grow: int) -> np.ndarray:
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(find_card(frame).corners).astype(np.int32), 1)
    return cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) if grow > 0 else \
        cv2.erode(mask, np.ones((-2 * grow + 1, -2 * grow + 1), np.uint8))


def test_only_the_card_changes(frames: list[np.ndarray]) -> None:
    trick = CardTrick(paint_red, SIZE)
    out = trick(frames)
    assert len(out) == len(frames) and all(o.shape == f.shape for o, f in zip(out, frames))
    for before, after in zip(frames, out):
        outside = outline_mask(before, grow=2) == 0
        assert np.array_equal(after[outside], before[outside])
        inside = outline_mask(before, grow=-4) == 1
        assert np.abs(after[inside].astype(int) - (0, 0, 255)).max() <= 2
    assert trick.frames_without_card == 0


def test_a_frame_without_a_card_passes_through_and_is_counted(frames: list[np.ndarray]) -> None:
    table = np.full_like(frames[0], 90)
    trick = CardTrick(paint_red, SIZE)
    out = trick([frames[0], table, frames[1]])
    assert np.array_equal(out[1], table)
    assert trick.frames_without_card == 1
    assert not np.array_equal(out[2], frames[1])


def test_side_by_side_puts_the_input_left_of_the_result(frames: list[np.ndarray]) -> None:
    out = CardTrick(paint_red, SIZE)(frames[:2], side_by_side=True)
    height, width = frames[0].shape[:2]
    assert out[0].shape == (height, 2 * width, 3)
    assert np.array_equal(out[0][:, :width], frames[0])


def test_inputs_are_left_untouched(frames: list[np.ndarray]) -> None:
    copies = [f.copy() for f in frames]
    CardTrick(paint_red, SIZE)(frames)
    assert all(np.array_equal(f, c) for f, c in zip(frames, copies))

"""Following a card through frames: steady when still, close behind when moving, renumbered."""

from __future__ import annotations

import numpy as np
import pytest

from cardprep.detect import CardNotFound
from cardprep.track import CardFollower, FollowConfig, same_numbering

CARD = np.array([[200.0, 100.0], [326.0, 100.0], [326.0, 276.0], [200.0, 276.0]])


def follower_of(detections: list[np.ndarray | None]) -> tuple[CardFollower, list[np.ndarray | None]]:
    """A follower fed ``detections`` through its detector hook, and what it answered."""
    queue = iter(detections)

    def find(_frame: np.ndarray) -> np.ndarray:
        corners = next(queue)
        if corners is None:
            raise CardNotFound("no card")
        return corners

    follower = CardFollower(FollowConfig(fps=30), find=find)
    return follower, [follower.update(np.zeros((2, 2, 3), np.uint8)) for _ in detections]


def test_a_still_card_shimmers_far_less_than_its_detections() -> None:
    rng = np.random.default_rng(1)
    noisy = [CARD + rng.normal(0, 0.3, CARD.shape) for _ in range(120)]
    _, out = follower_of(noisy)
    settled = np.array(out[30:])
    assert settled.std(axis=0).mean() < 0.7 * np.array(noisy[30:]).std(axis=0).mean()
    assert np.abs(settled.mean(axis=0) - CARD).max() < 0.2


def test_a_moving_card_is_followed_with_little_lag() -> None:
    moving = [CARD + [6.0 * i, 2.0 * i] for i in range(60)]
    _, out = follower_of(moving)
    lag = np.linalg.norm(out[-1] - moving[-1], axis=1).max()
    assert lag < 1.0


def test_corners_keep_their_numbers_when_the_detector_starts_elsewhere() -> None:
    shifted = [CARD, np.roll(CARD, 2, axis=0), np.roll(CARD, 1, axis=0)]
    _, out = follower_of(shifted)
    for corners in out:
        np.testing.assert_allclose(corners, CARD, atol=1e-9)
    np.testing.assert_array_equal(same_numbering(CARD, np.roll(CARD, 3, axis=0)), CARD)


def test_a_frame_without_a_card_gives_none_and_the_next_card_starts_afresh() -> None:
    elsewhere = CARD + 300.0
    _, out = follower_of([CARD, None, elsewhere])
    assert out[1] is None
    np.testing.assert_allclose(out[2], elsewhere, atol=1e-9)


@pytest.mark.parametrize("field, value", [("fps", 0.0), ("min_cutoff", -1.0), ("beta", float("nan"))])
def test_config_refuses_meaningless_values(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        FollowConfig(**{field: value})

"""The simulated clip (cardprep.sim.video) and the ``cardprep video`` command."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cardprep import geometry
from cardprep.cli import app
from cardprep.errors import CardprepError
from cardprep.sim import CARD_CORNERS_MM, Suit, load_deck, plan_clip, render_clip, simulate_video
from cardprep.sim.deck import SUIT_BGR

DECKS = Path(__file__).resolve().parents[1] / "fixtures" / "decks"


def _read_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (frame := capture.read())[0]:
        frames.append(frame[1])
    capture.release()
    return frames


class TestSimulateVideo:
    def test_frame_count_size_and_fps(self, tmp_path):
        summary = simulate_video(tmp_path / "clip.mp4", frames=7, size=(160, 96), seed=1, fps=10)
        frames = _read_frames(tmp_path / "clip.mp4")
        assert (summary.frames, len(frames)) == (7, 7)
        assert {f.shape for f in frames} == {(96, 160, 3)}
        assert cv2.VideoCapture(str(tmp_path / "clip.mp4")).get(cv2.CAP_PROP_FPS) == pytest.approx(10)

    def test_same_seed_same_frames_other_seed_other_clip(self):
        first = list(render_clip(plan_clip(frames=3, size=(96, 96), seed=5)))
        again = list(render_clip(plan_clip(frames=3, size=(96, 96), seed=5)))
        other = list(render_clip(plan_clip(frames=3, size=(96, 96), seed=6)))
        assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
        assert not np.array_equal(first[0], other[0])

    def test_the_card_moves_and_the_camera_holds_still(self):
        frames = list(render_clip(plan_clip(frames=5, size=(128, 128), seed=2)))
        moved = np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean(axis=2) > 40
        assert moved.mean() > 0.05  # the card is elsewhere
        corners = [frame[:6, :6].astype(int) for frame in frames]
        assert max(np.abs(c - corners[0]).max() for c in corners) <= 2  # table, light and noise stay put

    @pytest.mark.parametrize("size", [(384, 384), (640, 360), (240, 320)])
    @pytest.mark.parametrize("seed", range(4))
    def test_the_card_stays_in_the_centred_square_that_predict_keeps(self, size, seed):
        width, height = size
        side = min(size)
        left, top = (width - side) / 2, (height - side) / 2
        for photo_from_card in plan_clip(frames=9, size=size, seed=seed).photo_from_card:
            corners = geometry.apply_homography(photo_from_card, CARD_CORNERS_MM)
            assert np.all(corners >= (left, top)) and np.all(corners <= (left + side - 1, top + side - 1))

    def test_a_club_card(self):
        frame = next(render_clip(plan_clip(frames=1, size=(256, 256), seed=0, rank="10")))
        red = (frame[..., 2].astype(int) - frame[..., :2].max(axis=2)) > 80
        dark = np.abs(frame.astype(int) - SUIT_BGR[Suit.CLUBS]).max(axis=2) < 45
        assert red.mean() < 0.001 < dark.mean()

    @pytest.mark.parametrize("kwargs, message", [
        ({"frames": 0}, "--frames"), ({"size": (32, 200)}, "--size"), ({"rank": "11"}, "--rank"), ({"fps": 0}, "--fps"),
    ])
    def test_bad_arguments_say_which(self, tmp_path, kwargs, message):
        with pytest.raises(CardprepError, match=message):
            simulate_video(tmp_path / "clip.mp4", **kwargs)
        assert not (tmp_path / "clip.mp4").exists()

    def test_only_mp4(self, tmp_path):
        with pytest.raises(CardprepError, match="mp4"):
            simulate_video(tmp_path / "clip.avi")


class TestVideoCommand:
    def test_writes_the_clip_and_one_summary_line(self, tmp_path):
        result = CliRunner().invoke(app, ["video", str(tmp_path / "c.mp4"), "--frames", "4", "--size", "96x64"])
        assert result.exit_code == 0, result.output
        assert "4 frames (7 of clubs of the classic deck on" in result.stdout and result.stdout.count("\n") == 1
        assert len(_read_frames(tmp_path / "c.mp4")) == 4

    def test_a_bad_size_is_one_line_and_exit_1(self, tmp_path):
        result = CliRunner().invoke(app, ["video", str(tmp_path / "c.mp4"), "--size", "big"])
        assert result.exit_code == 1
        assert "WIDTHxHEIGHT" in result.output and "Traceback" not in result.output

    def test_the_card_of_a_loaded_deck(self, tmp_path):
        result = CliRunner().invoke(app, ["video", str(tmp_path / "c.mp4"), "--frames", "2", "--size", "96x64",
                                          "--deck", str(DECKS / "bellot")])
        assert result.exit_code == 0, result.output
        assert "of the bellot deck" in result.stdout


def test_a_loaded_deck_changes_the_card_not_the_clip():
    clip = plan_clip(frames=1, size=(128, 128), seed=4)
    drawn = next(render_clip(clip))
    loaded = next(render_clip(clip, load_deck(DECKS / "aguilar")))
    differs = np.abs(drawn.astype(int) - loaded.astype(int)).max(axis=2) > 30
    assert 0.02 < differs.mean() < 0.4  # the card's art, not the table
    assert np.array_equal(drawn[:6, :6], loaded[:6, :6])

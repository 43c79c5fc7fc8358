"""Inference: videos, folders and images; batched equals frame by frame; clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from cardprep.common.errors import UserError
from cardtrain.checkpoint import REQUIRED, save_checkpoint
from cardtrain.errors import CardtrainError
from cardtrain.evaluate import evaluate
from cardtrain.models import build_generator, init_weights
from cardtrain.predict import Translator, predict
from tests.cardtrain.conftest import TINY


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained TINY generator (batch norm, dropout on) saved as a checkpoint: inference
    must be deterministic and batch-independent even so."""
    config = TINY.override(norm="batch")
    generator = build_generator(config)
    init_weights(generator, torch.Generator().manual_seed(0))
    path = tmp_path_factory.mktemp("ckpt") / "g.pt"
    save_checkpoint(path, {key: None for key in REQUIRED} | {
        "config": config.to_dict(), "generator": generator.state_dict(), "step": 0, "epoch": 0
    })  # fmt: skip
    return path


def _count_frames(path: Path) -> tuple[int, tuple[int, int], float]:
    capture = cv2.VideoCapture(str(path))
    frames, size = 0, (0, 0)
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames, size = frames + 1, frame.shape[:2]
    return frames, size, capture.get(cv2.CAP_PROP_FPS)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 9-frame 96x64 mp4 at 12 fps: a black disc crossing a green table."""
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 12, (96, 64))
    for i in range(9):
        frame = np.full((64, 96, 3), (60, 120, 40), np.uint8)
        cv2.circle(frame, (20 + 6 * i, 32), 10, (20, 20, 20), -1)
        writer.write(frame)
    writer.release()
    return path


class TestVideo:
    def test_same_number_of_frames_and_rate(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        result = predict(checkpoint, clip, tmp_path / "out.mp4", batch_size=4)
        assert result.frames == 9
        frames, size, fps = _count_frames(tmp_path / "out.mp4")
        assert (frames, size, fps) == (9, (32, 32), 12.0)

    def test_side_by_side(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        predict(checkpoint, clip, tmp_path / "out.avi", side_by_side=True)
        assert _count_frames(tmp_path / "out.avi")[:2] == (9, (32, 64))

    def test_to_a_folder_of_frames(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        predict(checkpoint, clip, tmp_path / "frames")
        assert sorted(p.name for p in (tmp_path / "frames").iterdir())[::4] == [
            "frame_000000.png", "frame_000004.png", "frame_000008.png",
        ]  # fmt: skip

    def test_a_video_that_cannot_be_opened(self, checkpoint: Path, tmp_path: Path) -> None:
        (tmp_path / "broken.mp4").write_bytes(b"\x00" * 100)
        with pytest.raises(UserError, match="broken.mp4: not a video OpenCV can read"):
            predict(checkpoint, tmp_path / "broken.mp4", tmp_path / "out.mp4")
        assert not list(tmp_path.glob("*out*"))  # nothing half-written


def test_batched_equals_frame_by_frame(checkpoint: Path, tiny_data: Path) -> None:
    translator = Translator(checkpoint, device="cpu")
    frames = [cv2.imread(str(p))[:, :32] for p in sorted((tiny_data / "train").iterdir())]
    batched = translator(frames)
    one_by_one = np.concatenate([translator([f]) for f in frames])
    assert np.abs(batched.astype(int) - one_by_one).max() <= 1  # float summation order only
    assert np.array_equal(translator(frames), batched)  # no dropout noise: no flicker


def test_folder_to_folder_and_single_image(checkpoint: Path, tiny_data: Path, tmp_path: Path) -> None:
    result = predict(checkpoint, tiny_data / "val", tmp_path / "out")
    assert result.frames == 4
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"val_{i:03d}.png" for i in range(4)]
    predict(checkpoint, tiny_data / "val" / "val_000.png", tmp_path / "one.jpg")
    assert cv2.imread(str(tmp_path / "one.jpg")).shape == (32, 32, 3)
    with pytest.raises(CardtrainError, match="an image file holds one frame"):
        predict(checkpoint, tiny_data / "val", tmp_path / "one.png")


def test_a_bad_image_in_a_folder_is_skipped_not_fatal(checkpoint: Path, tiny_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_broken.png").write_bytes(b"nope")
    (folder / "b.png").write_bytes((tiny_data / "val" / "val_000.png").read_bytes())
    result = predict(checkpoint, folder, tmp_path / "out")
    assert result.frames == 1 and result.skipped == (folder / "a_broken.png",)


class TestCheckpointErrors:
    def test_another_architecture(self, checkpoint: Path, tmp_path: Path) -> None:
        state = torch.load(checkpoint, weights_only=True)
        state["config"]["ngf"] = 16  # the weights are ngf 8
        torch.save(state, tmp_path / "other.pt")
        with pytest.raises(CardtrainError, match=r"other.pt: its generator weights do not fit .*\(down.0.0.weight"):
            Translator(tmp_path / "other.pt", device="cpu")

    def test_a_bare_state_dict(self, checkpoint: Path, tmp_path: Path) -> None:
        torch.save(torch.load(checkpoint, weights_only=True)["generator"], tmp_path / "bare.pth")
        with pytest.raises(CardtrainError, match="bare.pth: not a cardtrain checkpoint"):
            Translator(tmp_path / "bare.pth", device="cpu")

    def test_not_a_torch_file(self, tiny_data: Path) -> None:
        with pytest.raises(CardtrainError, match="manifest.csv: not a readable torch checkpoint"):
            Translator(tiny_data / "manifest.csv", device="cpu")


def test_evaluate_scores_a_split_and_draws_a_grid(checkpoint: Path, tiny_data: Path) -> None:
    result = evaluate(checkpoint, tiny_data / "manifest.csv", split="val", samples=3, device="cpu")
    assert result.scores.images == 4
    assert 0 < result.scores.l1 < 2 and 0 <= result.scores.pip_iou <= 1
    assert result.grid.shape == (3 * 32, 3 * 32, 3)
    with pytest.raises(CardtrainError, match="no test images"):
        evaluate(checkpoint, tiny_data, split="test", device="cpu")


def test_outputs_get_ordinary_permissions(checkpoint: Path, tiny_data: Path, tmp_path: Path) -> None:
    """Atomic writes go through a temporary file, which must not leave outputs private (0600)."""
    umask = os.umask(0)
    os.umask(umask)
    predict(checkpoint, tiny_data / "val" / "val_000.png", tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_mode & 0o777 == 0o666 & ~umask

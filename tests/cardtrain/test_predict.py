"""Inference: videos, folders and images; batched equals frame by frame; clear errors."""

from __future__ import annotations

import json
import logging
import os
import struct
import zlib
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
from tests.cardtrain.conftest import TINY, write_disc_clip


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
    return write_disc_clip(tmp_path_factory.mktemp("video") / "clip.mp4", frames=9, fps=12, start=20, step=6)


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
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["predict.json"] + [f"val_{i:03d}.png" for i in range(4)]
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


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def pin(tiny_data: Path, tmp_path: Path) -> Path:
    """A folder of two input images."""
    folder = tmp_path / "pin"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes((tiny_data / "val" / "val_000.png").read_bytes())
    return folder


@pytest.mark.parametrize(
    ("source", "output"),
    [("pin", "pin"), ("pin/a.png", "pin/a.png"), ("pin/a.png", "pin"), ("pin", ".")],
)
def test_never_writes_over_its_inputs(checkpoint: Path, pin: Path, source: str, output: str) -> None:
    """Issue 13: `predict CK pin --out pin` and `a.png --out a.png` overwrote the inputs."""
    before = _tree(pin.parent)
    with pytest.raises(CardtrainError, match="is the input .* or holds it"):
        predict(checkpoint, pin.parent / source, pin.parent / output)  # "." holds pin
    assert _tree(pin.parent) == before


def test_inputs_sharing_a_name_are_refused_before_any_work(checkpoint: Path, pin: Path, tmp_path: Path) -> None:
    """Issue 13: dup.jpg and dup.png gave one dup.png, the other lost, and a summary of 2 frames."""
    image = cv2.imread(str(pin / "a.png"))
    cv2.imwrite(str(pin / "a.jpg"), image)
    with pytest.raises(CardtrainError, match=r"pin: a.jpg, a.png would all be written as .*/out/a.png"):
        predict(checkpoint, pin, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert predict(checkpoint, pin, tmp_path / "out.mp4").frames == 3  # a video has no names to clash


class TestFolderOutputIsStaged:
    def test_an_interrupted_run_leaves_nothing(self, checkpoint: Path, tiny_data: Path, tmp_path: Path) -> None:
        def interrupt(done: int, total: int) -> None:
            if done == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            predict(checkpoint, tiny_data / "val", tmp_path / "out", batch_size=1, progress=interrupt)
        assert list(tmp_path.iterdir()) == []  # no complete-looking partial set, no hidden folder

    def test_a_rerun_leaves_no_stale_file(self, checkpoint: Path, tiny_data: Path, pin: Path, tmp_path: Path) -> None:
        predict(checkpoint, tiny_data / "val", tmp_path / "out")
        predict(checkpoint, pin, tmp_path / "out")
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "predict.json"]
        made_by = json.loads((tmp_path / "out" / "predict.json").read_text())
        assert (made_by["source"], made_by["frames"]) == (str(pin.resolve()), 2)

    def test_a_folder_not_made_by_predict_is_not_replaced(self, checkpoint: Path, pin: Path, tmp_path: Path) -> None:
        (tmp_path / "photos").mkdir()
        (tmp_path / "photos" / "holiday.jpg").write_bytes(b"precious")
        with pytest.raises(UserError, match="photos: exists, is not empty and is not a predict output"):
            predict(checkpoint, pin, tmp_path / "photos")
        assert _tree(tmp_path / "photos") == {"holiday.jpg": b"precious"}


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_huge_header_in_a_folder_is_skipped_with_a_warning(
    checkpoint: Path, pin: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13: a 68-byte PNG claiming 40000x30000 pixels crashed predict with an OpenCV traceback."""
    (pin / "huge.png").write_bytes(_png_header_only(40000, 30000))
    with caplog.at_level(logging.WARNING, logger="cardtrain"):
        result = predict(checkpoint, pin, tmp_path / "out")
    assert result.frames == 2 and result.skipped == (pin / "huge.png",)
    assert any("huge.png" in record.getMessage() for record in caplog.records)

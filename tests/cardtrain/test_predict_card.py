"""``cardtrain predict --card``: only the card changes, at the frame's own size, frame for frame."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cardprep.common.video import VideoWriter
from cardprep.detect import find_card
from cardprep.sim import plan_clip, render_clip
from cardtrain.checkpoint import REQUIRED, save_checkpoint
from cardtrain.cli import app
from cardtrain.models import build_generator, init_weights
from tests.cardtrain.conftest import TINY


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained TINY generator: its output is noise, which shows plainly where it lands."""
    generator = build_generator(TINY)
    init_weights(generator, torch.Generator().manual_seed(1))
    path = tmp_path_factory.mktemp("ckpt") / "g.pt"
    save_checkpoint(path, {key: None for key in REQUIRED} | {
        "config": TINY.to_dict(), "generator": generator.state_dict(), "step": 0, "epoch": 0})
    return path


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five lossless frames of a card sliding across a table, and one of the bare table."""
    folder = tmp_path_factory.mktemp("frames")
    clip = list(render_clip(plan_clip(frames=5, size=(320, 240), seed=2)))
    for i, frame in enumerate(clip):
        cv2.imwrite(str(folder / f"f{i}.png"), frame)
    cv2.imwrite(str(folder / "f5.png"), np.full_like(clip[0], 100))
    return folder


def outside(frame: np.ndarray) -> np.ndarray:
    """Pixels more than 2 px outside the card's outline."""
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(find_card(frame).corners).astype(np.int32), 1)
    return cv2.dilate(mask, np.ones((5, 5), np.uint8)) == 0


def test_only_the_card_changes_and_cardless_frames_pass_through(checkpoint: Path, frames: Path, tmp_path: Path):
    result = CliRunner().invoke(app, ["predict", str(checkpoint), str(frames), "-o", str(tmp_path / "out"),
                                      "--card", "--device", "cpu", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    assert "translated 6 frames" in result.output and "1 without a card passed through" in result.output
    for i in range(5):
        before, after = (cv2.imread(str(folder / f"f{i}.png")) for folder in (frames, tmp_path / "out"))
        assert after.shape == before.shape
        keep = outside(before)
        assert np.abs(after[keep].astype(int) - before[keep].astype(int)).max() <= 2
        assert np.abs(after[~keep].astype(int) - before[~keep].astype(int)).mean() > 5  # the card changed
    assert np.array_equal(cv2.imread(str(tmp_path / "out" / "f5.png")), cv2.imread(str(frames / "f5.png")))


def test_a_video_keeps_its_size_rate_and_frame_count(checkpoint: Path, frames: Path, tmp_path: Path):
    clip = tmp_path / "clip.mp4"
    with VideoWriter(clip, fps=15) as writer:
        for i in range(6):
            writer.write(cv2.imread(str(frames / f"f{i}.png")))
    result = CliRunner().invoke(app, ["predict", str(checkpoint), str(clip), "-o", str(tmp_path / "out.mp4"),
                                      "--card", "--device", "cpu", "--side-by-side"])
    assert result.exit_code == 0, result.output
    capture = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = capture.read()
    assert ok and count == 6 and first.shape == (240, 640, 3)
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(15)


def test_eval_scores_an_align_output_as_held_out_pairs(checkpoint: Path, tmp_path: Path):
    """An align output (A/, B/) is the test split: each A scored against its own B."""
    aligned = tmp_path / "aligned"
    rng = np.random.default_rng(0)
    for side in ("A", "B"):
        (aligned / side).mkdir(parents=True)
    for stem in ("p1", "p2", "p3"):
        a = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
        cv2.imwrite(str(aligned / "A" / f"{stem}.png"), a)
        cv2.imwrite(str(aligned / "B" / f"{stem}.png"), a if stem != "p3" else 255 - a)
    cv2.imwrite(str(aligned / "A" / "lonely.png"), a)  # no B: not a pair, not scored
    result = CliRunner().invoke(app, ["eval", str(checkpoint), str(aligned), "-o", str(tmp_path / "ev"),
                                      "--device", "cpu"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert (metrics["split"], metrics["images"]) == ("test", 3)


def test_an_align_outputs_pairs_load_each_a_with_its_own_b(tmp_path: Path):
    from cardtrain.data import load_split

    rng = np.random.default_rng(1)
    images = {stem: [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in "AB"] for stem in ("x", "y")}
    for side, i in (("A", 0), ("B", 1)):
        (tmp_path / side).mkdir()
        for stem, pair in images.items():
            cv2.imwrite(str(tmp_path / side / f"{stem}.png"), pair[i])
    loaded = load_split(tmp_path, "test", size=32)
    assert [p.stem for p in loaded.paths] == ["x", "y"]
    for row, stem in enumerate(("x", "y")):
        rgb = loaded.pairs[row].permute(1, 2, 0).numpy()
        assert np.array_equal(rgb[..., :3], images[stem][0][..., ::-1])
        assert np.array_equal(rgb[..., 3:], images[stem][1][..., ::-1])
    assert len(load_split(tmp_path, "val", size=32)) == 0

"""The parallel predict pipeline: frames in order, count equal, output byte-identical to the
plain loop (workers=1); an error in any stage surfaces as itself; Ctrl-C leaves no thread and
no output behind."""

from __future__ import annotations

import faulthandler
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cardprep.common.errors import UserError
from cardprep.common.video import VideoReader
from cardprep.sim import plan_clip, render_clip
from cardprep.track import FollowConfig
from cardtrain.card_trick import CardTrick
from cardtrain.cli import app
from cardtrain.errors import CardtrainError
from cardtrain.pipeline import Pipeline
from cardtrain.predict import Squares, Translator, pinned, predict, shrink
from tests.cardtrain.conftest import save_untrained, write_disc_clip

HANG_S = 60  # far above any run here: past it the pipeline hangs, and the process is ended with tracebacks


@pytest.fixture(autouse=True)
def no_hang_and_no_thread_left() -> Iterator[None]:
    before = set(threading.enumerate())
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    assert set(threading.enumerate()) == before


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_untrained(tmp_path_factory.mktemp("ckpt") / "g.pt", seed=3)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """11 frames (no batch size below divides it), each different: a disc crossing a table."""
    return write_disc_clip(tmp_path_factory.mktemp("video") / "clip.mp4", frames=11, fps=10, start=10, step=7,
                           colour=lambda i: (20, 20 * i, 200))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven frames of a card sliding over a table, as PNGs."""
    path = tmp_path_factory.mktemp("frames")
    for i, frame in enumerate(render_clip(plan_clip(frames=7, size=(160, 120), seed=4))):
        cv2.imwrite(str(path / f"f{i}.png"), frame)
    return path


def decoded(video: Path) -> list[np.ndarray]:
    return [frame for _, _, frame in VideoReader(video).frames()]


def folder_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.suffix == ".png"}


class TestPipeline:
    @pytest.mark.parametrize("workers", [1, 2, 5])
    def test_every_stage_keeps_the_order(self, workers: int) -> None:
        def jittery(x: int) -> int:
            time.sleep(0.001 * ((x * 7) % 5))  # later items often finish first
            return x * x

        with Pipeline(workers=workers, depth=3) as pipe:
            assert list(pipe.ahead(pipe.map(jittery, pipe.ahead(range(40))))) == [x * x for x in range(40)]

    def test_an_error_in_a_stage_is_raised_in_the_caller_as_itself(self) -> None:
        def fail_at_7(x: int) -> int:
            if x == 7:
                raise CardtrainError("item 7: broken")
            return x

        seen = []
        with pytest.raises(CardtrainError, match="^item 7: broken$"), Pipeline(workers=3) as pipe:
            seen.extend(pipe.ahead(pipe.map(fail_at_7, pipe.ahead(range(1000)))))
        assert seen == list(range(7))  # those before it, in order; none after
        seen.clear()

        def reader() -> Iterator[int]:
            yield 1
            raise UserError("clip.mp4: damaged")

        with pytest.raises(UserError, match="^clip.mp4: damaged$"), Pipeline(workers=3) as pipe:
            seen.extend(pipe.map(lambda x: x, pipe.ahead(reader())))
        assert seen == [1]

    def test_leaving_early_stops_the_threads_of_an_endless_stream(self) -> None:
        def endless() -> Iterator[int]:
            n = 0
            while True:
                yield n
                n += 1

        with Pipeline(workers=4, depth=2) as pipe:
            for x in pipe.map(lambda x: x, pipe.ahead(endless())):
                if x == 10:
                    break
        # the autouse fixture asserts that no thread is left

    def test_workers_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="workers must be at least 1"):
            Pipeline(workers=0)


class TestSameOutputAsThePlainLoop:
    @pytest.mark.parametrize(("workers", "batch"), [(2, 4), (3, 3), (4, 1), (3, 16)])
    def test_video(self, checkpoint: Path, clip: Path, tmp_path: Path, workers: int, batch: int) -> None:
        plain = predict(checkpoint, clip, tmp_path / "plain.mp4", batch_size=batch, workers=1, device="cpu")
        fast = predict(checkpoint, clip, tmp_path / "fast.mp4", batch_size=batch, workers=workers, device="cpu")
        assert plain.frames == fast.frames == 11
        assert (tmp_path / "fast.mp4").read_bytes() == (tmp_path / "plain.mp4").read_bytes()
        frames = decoded(tmp_path / "fast.mp4")
        assert len(frames) == 11 and frames[0].shape == (32, 32, 3)

    def test_video_to_a_folder_frame_by_frame(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        """Each written frame is the translation of the input frame of its name: the order holds."""
        predict(checkpoint, clip, tmp_path / "out", batch_size=4, workers=3, device="cpu")
        translator = Translator(checkpoint, device="cpu")
        written = folder_bytes(tmp_path / "out")
        assert list(written) == [f"frame_{i:06d}.png" for i in range(11)]
        for i, frame in enumerate(decoded(clip)):
            expected = translator([frame])[0]  # batch 1: batch norm is off in eval, so batch-independent
            assert np.array_equal(cv2.imread(str(tmp_path / "out" / f"frame_{i:06d}.png")), expected)

    @pytest.mark.parametrize("card", [False, True])
    def test_folder(self, checkpoint: Path, folder: Path, tmp_path: Path, card: bool) -> None:
        results = [predict(checkpoint, folder, tmp_path / f"w{w}", batch_size=3, workers=w, card=card, device="cpu")
                   for w in (1, 3)]
        assert results[0].frames == results[1].frames == 7
        assert results[0].without_card == results[1].without_card
        plain, fast = folder_bytes(tmp_path / "w1"), folder_bytes(tmp_path / "w3")
        assert list(fast) == [f"f{i}.png" for i in range(7)] and fast == plain

    def test_card_as_the_plain_card_trick_loop(self, checkpoint: Path, folder: Path, tmp_path: Path) -> None:
        """Detection moved to the resize threads: the follower still gets each frame's own card, in order."""
        result = predict(checkpoint, folder, tmp_path / "out", batch_size=3, workers=3, card=True, device="cpu")
        frames = [cv2.imread(str(folder / f"f{i}.png")) for i in range(7)]
        translator = Translator(checkpoint, device="cpu")
        trick = CardTrick(translator, translator.size, FollowConfig(fps=25.0))  # a folder's default rate
        expected = [out for start in range(0, 7, 3) for out in trick(frames[start:start + 3])]
        assert result.without_card == trick.frames_without_card == 0
        for i, frame in enumerate(expected):
            assert np.array_equal(cv2.imread(str(tmp_path / "out" / f"f{i}.png")), frame)

    def test_side_by_side(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        for w in (1, 3):
            predict(checkpoint, clip, tmp_path / f"w{w}.avi", batch_size=5, workers=w, side_by_side=True, device="cpu")
        assert (tmp_path / "w3.avi").read_bytes() == (tmp_path / "w1.avi").read_bytes()

    def test_workers_must_be_positive(self, checkpoint: Path, clip: Path, tmp_path: Path) -> None:
        with pytest.raises(CardtrainError, match="workers must be at least 1, got 0"):
            predict(checkpoint, clip, tmp_path / "out.mp4", workers=0)
        assert list(tmp_path.iterdir()) == []


def test_pinned_leaves_cpu_inputs_as_they_are() -> None:
    """The CUDA path's pinning is the identity on the CPU (the same code runs on both)."""
    inputs = torch.arange(12, dtype=torch.uint8).reshape(1, 3, 2, 2)
    assert pinned(inputs, torch.device("cpu")) is inputs


class TestFailures:
    """An error in any stage: the error itself, one line, no output, no thread left (fixture)."""

    def test_reader(self, checkpoint: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        real = VideoReader.frames

        def damaged(self: VideoReader, every: int = 1) -> Iterator[tuple[int, float, np.ndarray | None]]:
            for item in real(self, every):
                if item[0] == 5:
                    raise UserError(f"{self.path}: damaged at frame 5")
                yield item

        monkeypatch.setattr(VideoReader, "frames", damaged)
        with pytest.raises(UserError, match=r"clip\.mp4: damaged at frame 5$"):
            predict(checkpoint, clip, tmp_path / "out.mp4", batch_size=2, workers=3, device="cpu")
        assert list(tmp_path.iterdir()) == []

    def test_model(self, checkpoint: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        calls = []
        real = Translator.run

        def fails_second(self: Translator, inputs: torch.Tensor, **kwargs: bool) -> np.ndarray:
            calls.append(1)
            if len(calls) == 2:
                raise CardtrainError("model: out of memory")
            return real(self, inputs, **kwargs)

        monkeypatch.setattr(Translator, "run", fails_second)
        with pytest.raises(CardtrainError, match="^model: out of memory$"):
            predict(checkpoint, clip, tmp_path / "out", batch_size=2, workers=3, device="cpu")
        assert list(tmp_path.iterdir()) == []

    def test_writer(self, checkpoint: Path, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import cardtrain.predict as module

        def full_disk(path: Path, image: np.ndarray) -> None:
            if path.name == "f4.png":
                raise UserError(f"{path}: no space left on device")
            cv2.imwrite(str(path), image)

        monkeypatch.setattr(module, "write_image", full_disk)
        with pytest.raises(UserError, match="f4.png: no space left on device$"):
            predict(checkpoint, folder, tmp_path / "out", batch_size=2, workers=3, device="cpu")
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", ["out.mp4", "out"])
def test_ctrl_c_mid_run_leaves_no_thread_and_no_output(
    checkpoint: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    """SIGINT sent from the model's thread while the main thread waits on the pipeline."""
    calls = []
    real = Translator.run

    def interrupted(self: Translator, inputs: torch.Tensor, **kwargs: bool) -> np.ndarray:
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, inputs, **kwargs)

    monkeypatch.setattr(Translator, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        predict(checkpoint, clip, tmp_path / out, batch_size=2, workers=3, device="cpu")
        time.sleep(HANG_S)  # reached only if the signal came after the run ended
    assert list(tmp_path.iterdir()) == []
    assert len(calls) < 6  # stopped mid-run, not after all six batches


def test_cli_workers(checkpoint: Path, clip: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    common = ["predict", str(checkpoint), str(clip), "--device", "cpu", "--batch-size", "4"]
    refused = runner.invoke(app, [*common, "-o", str(tmp_path / "bad.mp4"), "--workers", "0"])
    assert refused.exit_code == 1 and "error: workers must be at least 1, got 0" in refused.output
    for workers in ("1", "3"):
        result = runner.invoke(app, [*common, "-o", str(tmp_path / f"w{workers}.mp4"), "--workers", workers])
        assert result.exit_code == 0, result.output
        assert "translated 11 frames" in result.output
    assert (tmp_path / "w3.mp4").read_bytes() == (tmp_path / "w1.mp4").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.mp4", "w3.mp4"]


class TestShrinkOnDevice:
    """The CUDA path's resize, run on the CPU: OpenCV's INTER_AREA by matrix products."""

    @pytest.mark.parametrize(("size", "exact"), [(128, True), (256, True), (240, True), (100, False)])
    def test_as_opencv(self, size: int, exact: bool) -> None:
        rng = np.random.default_rng(0)
        frames = [*render_clip(plan_clip(frames=1, size=(640, 480), seed=0)),
                  rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)]
        squares = np.stack([f[:, 80:560] for f in frames])
        got = shrink(torch.from_numpy(squares), size).permute(0, 2, 3, 1).numpy()
        want = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)[..., ::-1] for f in squares])
        off = np.abs(got.astype(int) - want)
        assert off.max() == (0 if exact else 1)  # ratio 4.8: OpenCV's float32 sums round a few otherwise
        assert (off > 0).mean() < 0.005

    def test_translator(self, checkpoint: Path, folder: Path) -> None:
        frames = [cv2.imread(str(folder / f"f{i}.png")) for i in range(5)]
        translator = Translator(checkpoint, device="cpu")
        assert not translator.shrink_on_device  # on for CUDA only
        plain = translator(frames, side_by_side=True)
        translator.shrink_on_device = True
        assert isinstance(translator.prepare(frames), Squares)
        assert not isinstance(translator.prepare([frames[0], frames[1][:100]]), Squares)  # sizes differ
        assert np.array_equal(translator(frames, side_by_side=True), plain)  # 120 -> 32 px: exact

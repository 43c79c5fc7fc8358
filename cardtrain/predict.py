"""Translate images, folders and videos with a checkpoint's generator, in batches.

Inference is deterministic: the generator runs in eval mode, so dropout is off (with it on,
as in the paper's test time, every video frame gets different noise and the output
flickers) and batch norm uses its running statistics (so a frame's output does not depend
on which other frames share its batch). Frames get exactly the training preprocessing,
:func:`cardtrain.data.to_model_rgb`: centre square crop, resize to the model's size, RGB.

Decoding, resizing and encoding run in threads beside the model (:mod:`cardtrain.pipeline`):
frames keep their order and batches their composition, so the output is byte for byte the
one of the plain loop (``workers=1``). On CUDA a batch of whole frames is cropped and put in
pinned memory by those threads, copied to the GPU without blocking and shrunk there
(:func:`shrink`, OpenCV's INTER_AREA as matrix products).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from cardprep.common.atomic import atomic_write_json, check_replaceable, staged_dir
from cardprep.common.errors import UserError
from cardprep.common.images import IMAGE_EXTENSIONS, read_image, write_image
from cardprep.common.video import VIDEO_EXTENSIONS, VideoReader, VideoWriter, check_video_output
from cardprep.detect import CardNotFound, find_card
from cardprep.track import FollowConfig
from cardtrain.card_trick import CardTrick
from cardtrain.checkpoint import load_generator
from cardtrain.config import Precision
from cardtrain.data import to_bgr_images, to_float, to_model_rgb
from cardtrain.device import autocast, inference_precision, resolve_device
from cardtrain.errors import CardtrainError
from cardtrain.pipeline import Pipeline

log = logging.getLogger("cardtrain")

MARKER = "predict.json"  # in every folder predict writes: a rerun may replace such a folder, and no other

Progress = Callable[[int, int], None]
Frame = tuple[str, np.ndarray]  # a frame and the name it is written under in a folder
MAX_WORKERS = 8  # threads per stage: decode, resize and PNG encoding stop scaling before this


@dataclass(frozen=True)
class PredictResult:
    """What ``predict`` wrote: ``frames`` translated in ``seconds``; ``skipped`` unreadable inputs."""

    output: Path
    frames: int
    seconds: float
    skipped: tuple[Path, ...] = ()
    without_card: int | None = None  # --card: frames passed through unchanged (no single card found)

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else float("nan")


def translate(
    generator: torch.nn.Module, inputs: torch.Tensor, *, device: torch.device, precision: Precision
) -> torch.Tensor:
    """uint8 (B, 3, S, S) RGB on any device -> the generator's (B, 3, S, S) float output in [-1, 1].

    The copy does not block when ``inputs`` is in pinned memory (:func:`pinned`); the result's
    first use on the CPU waits for it, as any CUDA op does."""
    with torch.inference_mode(), autocast(device, precision):
        return generator(to_float(inputs.to(device, non_blocking=True))).float()


def pinned(inputs: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``inputs`` in page-locked memory when they go to a CUDA device (a copy the GPU can
    read by DMA while the CPU goes on), unchanged otherwise."""
    return inputs.pin_memory() if device.type == "cuda" else inputs


def area_weights(source: int, size: int) -> torch.Tensor:
    """(size, source) float64: output pixel i is the mean of source pixels [i*r, (i+1)*r),
    r = source / size, a pixel cut by an edge weighted by its part inside (OpenCV's INTER_AREA
    when shrinking)."""
    ratio = source / size
    edges = torch.arange(size + 1, dtype=torch.float64) * ratio
    pixels = torch.arange(source, dtype=torch.float64)
    inside = torch.minimum(edges[1:, None], pixels + 1) - torch.maximum(edges[:-1, None], pixels)
    return inside.clamp(min=0) / ratio


def shrink(squares_bgr: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (B, N, N, 3) BGR squares, N > ``size``, on any device -> uint8 (B, 3, size, size)
    RGB there: :func:`cardtrain.data.to_model_rgb` as two matrix products per channel, equal
    to OpenCV's INTER_AREA to within one level (float64 here, float32 in OpenCV)."""
    weights = area_weights(squares_bgr.shape[1], size).to(squares_bgr.device)
    rgb = squares_bgr.flip(-1).permute(0, 3, 1, 2).double()
    return (weights @ rgb @ weights.T).add_(0.5).floor_().clamp_(0, 255).to(torch.uint8)  # halves up, as OpenCV


@dataclass(frozen=True)
class Squares:
    """A batch left for the model's device to shrink (:func:`shrink`): the centre squares of
    same-size frames, uint8 (B, N, N, 3) BGR, pinned for CUDA."""

    pixels: torch.Tensor


def _centre_square(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side]


class Translator:
    """A checkpoint's generator with its preprocessing: BGR frames in, BGR frames out.

    ``shrink_on_device`` (on for CUDA): a batch of same-size frames larger than the model is
    cropped on the CPU and shrunk on the device (:func:`shrink`), which spares the CPU its
    most costly stage; elsewhere frames are resized by OpenCV, exactly as in training."""

    def __init__(self, checkpoint: Path, *, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.generator, self.config = load_generator(checkpoint, self.device)
        self.precision = inference_precision(self.device, self.config.precision)
        self.size = self.config.crop_size
        self.shrink_on_device = self.device.type == "cuda"

    def prepare(self, frames_bgr: list[np.ndarray]) -> torch.Tensor | Squares:
        """Frames of any size -> uint8 (B, 3, S, S) RGB, the model's input, or :class:`Squares`
        (pinned for CUDA either way)."""
        same_size = len({f.shape for f in frames_bgr}) == 1
        if self.shrink_on_device and same_size and min(frames_bgr[0].shape[:2]) > self.size:
            squares = torch.from_numpy(np.stack([_centre_square(f) for f in frames_bgr]))
            return Squares(pinned(squares, self.device))
        inputs = torch.from_numpy(np.stack([to_model_rgb(f, self.size) for f in frames_bgr])).permute(0, 3, 1, 2)
        return pinned(inputs, self.device)

    def __call__(self, frames_bgr: list[np.ndarray], *, side_by_side: bool = False) -> np.ndarray:
        """Translate a batch: (B, S, S, 3) BGR uint8, or (B, S, 2S, 3) input|output."""
        return self.run(self.prepare(frames_bgr), side_by_side=side_by_side)

    def run(self, inputs: torch.Tensor | Squares, *, side_by_side: bool = False) -> np.ndarray:
        """:meth:`__call__` on a batch already through :meth:`prepare`."""
        if isinstance(inputs, Squares):
            inputs = shrink(inputs.pixels.to(self.device, non_blocking=True), self.size)
        outputs = to_bgr_images(translate(self.generator, inputs, device=self.device, precision=self.precision))
        if not side_by_side:
            return outputs
        inputs_bgr = np.ascontiguousarray(inputs.permute(0, 2, 3, 1).cpu().numpy()[..., ::-1])
        return np.concatenate([inputs_bgr, outputs], axis=2)


@dataclass(frozen=True)
class _Source:
    """Frames to translate, in order, read with a pipeline's threads: names for a folder
    output, a count for the progress bar, an fps; ``files`` the input images (none for a video)."""

    frames: Callable[[Pipeline], Iterator[Frame]]
    count: int
    fps: float
    skipped: list[Path]
    files: tuple[Path, ...] = ()


def _read_or_error(path: Path) -> np.ndarray | UserError:
    try:
        return read_image(path)
    except UserError as error:  # unreadable, truncated, or a header claiming gigapixels
        return error  # judged in input order by _image_frames


def _image_frames(paths: list[Path], skipped: list[Path], pipe: Pipeline) -> Iterator[Frame]:
    for path, image in zip(paths, pipe.map(_read_or_error, paths)):
        if isinstance(image, UserError):
            if len(paths) == 1:
                raise image
            log.warning("skipped %s", image)  # one bad file never stops a folder
            skipped.append(path)
            continue
        yield path.stem, image


def _video_frames(reader: VideoReader) -> Iterator[Frame]:
    for number, _, frame in reader.frames():
        yield f"frame_{number:06d}", frame


def open_source(path: Path, *, fps: float) -> _Source:
    """An image, a folder of images (sorted by name) or a video file."""
    skipped: list[Path] = []
    if path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not paths:
            raise CardtrainError(f"{path}: no images in this folder ({', '.join(sorted(IMAGE_EXTENSIONS))})")
        return _Source(partial(_image_frames, paths, skipped), len(paths), fps, skipped, tuple(paths))
    if not path.is_file():
        raise CardtrainError(f"{path}: does not exist")
    if path.suffix.lower() in VIDEO_EXTENSIONS:
        reader = VideoReader(path)
        return _Source(lambda _: _video_frames(reader), reader.frame_count or 0, reader.fps or fps, skipped)
    return _Source(partial(_image_frames, [path], skipped), 1, fps, skipped, (path,))


def _batches(frames: Iterator[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for item in frames:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Sink:
    """Where translated frames go; ``in_threads`` when batches may be written at once by
    several threads (each frame its own file)."""

    in_threads = False

    def write(self, name: str, frame: np.ndarray) -> None:
        raise NotImplementedError

    def write_batch(self, frames: list[Frame]) -> int:
        for name, frame in frames:
            self.write(name, frame)
        return len(frames)


class _VideoSink(_Sink):
    """Frames into a video file, written under a temporary name and renamed when complete."""

    def __init__(self, output: Path, fps: float, stack: contextlib.ExitStack) -> None:
        self.video = stack.enter_context(VideoWriter(output, fps))

    def write(self, name: str, frame: np.ndarray) -> None:
        self.video.write(frame)


class _ImageSink(_Sink):
    """Frames into one image file, written atomically."""

    def __init__(self, output: Path) -> None:
        self.output = output

    def write(self, name: str, frame: np.ndarray) -> None:
        write_image(self.output, frame)


class _FolderSink(_Sink):
    """Frames into a folder as ``<name>.png``, built under a temporary name and put in place
    when complete: an interrupted run leaves the previous folder (or none), never a partial
    set, and a rerun leaves no stale file of an earlier one."""

    in_threads = True

    def __init__(self, output: Path, stack: contextlib.ExitStack) -> None:
        check_replaceable(output, marker=MARKER, kind="a predict output")
        self.stage = stack.enter_context(staged_dir(output))

    def write(self, name: str, frame: np.ndarray) -> None:
        write_image(self.stage / f"{name}.png", frame)


class _WholeFrames:
    """The model stage for whole frames: resized (:meth:`prepare`) in the pipeline's threads,
    translated (:meth:`run`) one batch at a time."""

    def __init__(self, translator: Translator, side_by_side: bool) -> None:
        self.translator, self.side_by_side = translator, side_by_side

    def prepare(self, batch: list[Frame]) -> tuple[list[str], torch.Tensor]:
        return [name for name, _ in batch], self.translator.prepare([frame for _, frame in batch])

    def run(self, prepared: tuple[list[str], torch.Tensor]) -> list[Frame]:
        names, inputs = prepared
        return list(zip(names, self.translator.run(inputs, side_by_side=self.side_by_side)))


class _Cards:
    """The model stage for --card. The card is detected in each frame by the pipeline's
    threads (:meth:`prepare`, a function of the frame alone); following (smoothing over
    time), rectifying, translating and pasting back run in :meth:`run`, one batch at a time,
    since the follower must see the frames in order."""

    def __init__(self, translator: Translator, fps: float, side_by_side: bool) -> None:
        self.side_by_side = side_by_side
        self.trick = CardTrick(translator, translator.size, FollowConfig(fps=fps), find=self._detected)
        self._detections: deque[np.ndarray | CardNotFound] = deque()

    def prepare(self, batch: list[Frame]) -> tuple[list[Frame], list[np.ndarray | CardNotFound]]:
        return batch, [_detect(frame) for _, frame in batch]

    def run(self, prepared: tuple[list[Frame], list[np.ndarray | CardNotFound]]) -> list[Frame]:
        batch, detections = prepared
        self._detections.extend(detections)  # taken one per frame, in order, by the follower
        frames = self.trick([frame for _, frame in batch], side_by_side=self.side_by_side)
        return list(zip((name for name, _ in batch), frames))

    def _detected(self, frame: np.ndarray) -> np.ndarray:
        found = self._detections.popleft()
        if isinstance(found, CardNotFound):
            raise found
        return found


def _detect(frame: np.ndarray) -> np.ndarray | CardNotFound:
    """The card's corners in ``frame``, or why there is no single card."""
    try:
        return find_card(frame).corners
    except CardNotFound as missing:
        return missing


def _check_output(source: Path, output: Path, files: tuple[Path, ...]) -> None:
    """Refuse an output that is the input, holds it, or would write over an input file; and a
    folder output where two inputs share a name (dup.jpg, dup.png -> dup.png twice)."""
    src, dst = source.resolve(), output.resolve()
    if dst == src or dst in src.parents:
        raise CardtrainError(f"{output}: is the input {source} or holds it; predict never writes over its inputs")
    if output.suffix.lower() in IMAGE_EXTENSIONS or output.suffix.lower() in VIDEO_EXTENSIONS:
        return
    twice = [stem for stem, n in Counter(p.stem for p in files).items() if n > 1]
    if twice:
        names = ", ".join(sorted(p.name for p in files if p.stem == twice[0]))
        raise CardtrainError(f"{source}: {names} would all be written as {output}/{twice[0]}.png; rename all but one")


def predict(
    checkpoint: Path,
    source: Path,
    output: Path,
    *,
    batch_size: int = 16,
    side_by_side: bool = False,
    fps: float = 25.0,
    device: str = "auto",
    card: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> PredictResult:
    """Translate ``source`` (image, folder or video) into ``output``.

    ``card``: translate the card, not the frame (:mod:`cardtrain.card_trick`): each frame is
    written at its own size with only the card changed, for a model trained on card-frame
    pairs (``cardprep align --frame card``). Frames must come in order (a video, or a folder
    sorted by name): the card is followed from one to the next.

    ``output`` ending in .mp4/.avi is a video (the source's frame rate, else ``fps``); ending
    in an image suffix, a single image; anything else, a folder of PNGs named after the
    inputs (``frame_000000.png``... for a video) and a ``predict.json`` saying what made
    them. Every file is written atomically, a folder as a whole; inputs are never written.

    ``workers``: threads per stage for decoding, resizing and writing PNGs (None: the cores,
    at most 8); 1 runs the plain loop in this thread. The output is the same for any number.
    """
    if batch_size < 1:
        raise CardtrainError(f"batch size must be at least 1, got {batch_size}")
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if workers is None else workers
    if workers < 1:
        raise CardtrainError(f"workers must be at least 1, got {workers}")
    translator = Translator(checkpoint, device=device)
    src = open_source(Path(source), fps=fps)
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        check_video_output(output, src.fps)  # .mp4 or .avi, at a positive frame rate
    if suffix in IMAGE_EXTENSIONS and src.count != 1:
        raise CardtrainError(f"{output}: an image file holds one frame but {source} has {src.count}; give a folder")
    _check_output(Path(source), output, src.files)
    start, done = time.perf_counter(), 0
    stage = _Cards(translator, src.fps, side_by_side) if card else _WholeFrames(translator, side_by_side)
    with contextlib.ExitStack() as stack:
        sink = (
            _VideoSink(output, src.fps, stack) if suffix in VIDEO_EXTENSIONS
            else _ImageSink(output) if suffix in IMAGE_EXTENSIONS
            else _FolderSink(output, stack)
        )  # fmt: skip
        pipe = stack.enter_context(Pipeline(workers=workers))  # stopped before the sink ends: no late write
        frames = pipe.ahead(src.frames(pipe), batch_size)  # decoded a batch ahead
        prepared = pipe.map(stage.prepare, _batches(frames, batch_size))
        translated = pipe.ahead(map(stage.run, prepared), 2)  # the model in a thread of its own, a batch ahead
        for written in pipe.map(sink.write_batch, translated, None if sink.in_threads else 1):
            done += written
            if progress:
                progress(done, max(src.count, done))
        if isinstance(sink, _FolderSink):
            made_by = {"checkpoint": str(Path(checkpoint).resolve()), "source": str(Path(source).resolve())}
            made_by.update(frames=done, skipped=[str(p) for p in src.skipped])
            atomic_write_json(sink.stage / MARKER, made_by)
    without_card = stage.trick.frames_without_card if isinstance(stage, _Cards) else None
    return PredictResult(output, done, time.perf_counter() - start, tuple(src.skipped), without_card)

"""Paired augmentation: aligned A/B pairs (Contract 2) -> the A|B dataset (Contract 3).

The random draw is kept apart from the deterministic apply, as in albumentations:

    draw_params(seed, config) -> AugmentParams     the only randomness; pure
    apply(a, b, params, size=, border=) -> A, B    one matrix for both halves; no randomness

so the two halves of an image can never get different geometry, and a manifest row, which
records its seed and the parameters drawn from it, re-makes its image byte for byte
(``remake``). Each image's seed is derived from the run's seed, its split and its index,
never from a shared stream, so the dataset does not depend on the number of workers.

Why not albumentations itself: importing albumentations 2.0.8 imports torch (DESIGN.md: no
torch in cardprep) and asks PyPI for a newer version, 3 s before the first image (measured
here), and what a seed draws would depend on its version. The transform below is the seed's
set (rotate, zoom, shear, shift, flips) as one affine matrix applied by ``cv2.warpAffine``.

Conventions: images are (H, W, 3) uint8 BGR; points (x, y) with pixel centres at integer
coordinates; ``angle`` is in degrees, positive turns the picture clockwise on screen (as
``cardprep.geometry.rotation``); ``shear_x``/``shear_y`` are shear angles in degrees (x'
= x + tan(shear_x) y); ``tx``/``ty`` are shifts as a fraction of the output side.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, fields
from enum import Enum
from multiprocessing import forkserver
from pathlib import Path

import cv2
import numpy as np

from cardprep import geometry
from cardprep.common.atomic import check_replaceable, staged_dir
from cardprep.errors import CardprepError, ImageError
from cardprep.common.images import encode_image, read_image
from cardprep.pairs import Orphan, Pair, find_pairs
from cardprep.common.parallel import resolve_workers

JPEG_QUALITY = 95  # Contract 3
MANIFEST_NAME = "manifest.csv"


class Border(str, Enum):
    """How the area the transform uncovers is filled: never black wedges."""

    REFLECT = "reflect"  # the photo's own background mirrored across the edge
    SURFACE = "surface"  # a flat fill with the median colour of the photo's outer ring


class Split(str, Enum):
    TRAIN = "train"
    VAL = "val"


class SplitPolicy(str, Enum):
    """Where val images come from; recorded in every manifest row."""

    DRAWS = "draws"  # every pair, other draws than train's
    HOLDOUT = "holdout"  # K pairs drawn by the seed, kept out of train entirely
    SOURCES = "sources"  # pairs named by the user, kept out of train entirely


@dataclass(frozen=True)
class AugmentConfig:
    """Everything a dataset build depends on besides its input. Defaults suit card photos."""

    n_train: int = 1000
    n_val: int = 300
    size: int = 256  # side of each half: files are (2 size) x size
    seed: int = 0
    rotate: float = 15.0  # degrees, drawn in [-rotate, rotate]
    zoom: float = 0.15  # scale drawn log-uniformly in [1 / (1 + zoom), 1 + zoom]: in and out alike
    shear: float = 8.0  # degrees, x and y shear each drawn in [-shear, shear]
    shift: float = 0.08  # fraction of the side, x and y each drawn in [-shift, shift]
    hflip: bool = False  # off for cards: a mirror image mirrors the rank characters
    vflip: bool = False
    border: Border = Border.REFLECT
    jitter: float = 0.0  # brightness, contrast, saturation each x [1 - jitter, 1 + jitter]; 0: off
    jitter_independent: bool = False  # draw B's jitter apart from A's (default: the same for both)
    holdout: int = 0  # keep this many whole pairs out of train, for val (drawn by the seed)
    val_sources: tuple[str, ...] = ()  # or name the pairs kept out of train

    def __post_init__(self) -> None:
        _check(self.n_train >= 1, f"n_train (--n) must be at least 1, got {self.n_train}")
        _check(self.n_val >= 0, f"n_val (--val) must be 0 or more, got {self.n_val}")
        _check(8 <= self.size <= 4096, f"size must be between 8 and 4096 px, got {self.size}")
        _check(self.seed >= 0, f"seed must be 0 or more, got {self.seed}")
        _check(0 <= self.rotate <= 180, f"rotate must be between 0 and 180 degrees, got {self.rotate}")
        _check(0 <= self.zoom <= 1, f"zoom must be between 0 and 1 (0.15: scale 0.87..1.15), got {self.zoom}")
        _check(0 <= self.shear <= 45, f"shear must be between 0 and 45 degrees, got {self.shear}")
        _check(0 <= self.shift <= 0.5, f"shift must be between 0 and 0.5 (of the side), got {self.shift}")
        _check(0 <= self.jitter < 1, f"jitter must be in [0, 1) (0: off), got {self.jitter}")
        _check(self.holdout >= 0, f"holdout must be 0 or more, got {self.holdout}")
        _check(not (self.holdout and self.val_sources), "use holdout (--holdout) or val_sources (--val-sources), not both")
        _check(self.n_val > 0 or not (self.holdout or self.val_sources),
               "holding pairs out for val needs val images: n_val (--val) is 0")
        _check(len(set(self.val_sources)) == len(self.val_sources), f"val_sources repeats a name: {self.val_sources}")

    @property
    def split_policy(self) -> SplitPolicy:
        if self.holdout:
            return SplitPolicy.HOLDOUT
        return SplitPolicy.SOURCES if self.val_sources else SplitPolicy.DRAWS


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise CardprepError(message)


@dataclass(frozen=True)
class Jitter:
    """Photometric jitter, a pure per-pixel function: the identity is all ones."""

    brightness: float = 1.0  # gain on the pixel values
    contrast: float = 1.0  # stretch about mid-grey
    saturation: float = 1.0  # 0 grey, 1 unchanged

    @property
    def is_identity(self) -> bool:
        return self == Jitter()


@dataclass(frozen=True)
class AugmentParams:
    """One image's draw. Together with the source pair, size and border it fixes the image."""

    angle: float = 0.0
    scale: float = 1.0
    shear_x: float = 0.0
    shear_y: float = 0.0
    tx: float = 0.0
    ty: float = 0.0
    hflip: bool = False
    vflip: bool = False
    jitter_a: Jitter = Jitter()
    jitter_b: Jitter = Jitter()


_DRAWS_PER_IMAGE = 14  # uniforms per draw, all always drawn: switching jitter on keeps the geometry


def draw_params(seed: int, config: AugmentConfig) -> AugmentParams:
    """The parameters of the image with this ``seed``: a pure function of (seed, config)."""
    u = 2.0 * np.random.default_rng(seed).random(_DRAWS_PER_IMAGE) - 1.0  # uniform in [-1, 1)
    jitter_a = _jitter_from(u[8:11], config.jitter)
    return AugmentParams(
        angle=float(u[0] * config.rotate),
        scale=float(math.exp(u[1] * math.log1p(config.zoom))),
        shear_x=float(u[2] * config.shear),
        shear_y=float(u[3] * config.shear),
        tx=float(u[4] * config.shift),
        ty=float(u[5] * config.shift),
        hflip=bool(config.hflip and u[6] < 0),
        vflip=bool(config.vflip and u[7] < 0),
        jitter_a=jitter_a,
        jitter_b=_jitter_from(u[11:14], config.jitter) if config.jitter_independent else jitter_a,
    )


def _jitter_from(u: np.ndarray, strength: float) -> Jitter:
    if strength == 0:
        return Jitter()
    return Jitter(*(float(1.0 + v * strength) for v in u))


def image_seed(seed: int, split: Split, index: int) -> int:
    """The seed of image ``index`` of ``split``: independent of the others, of n and of workers."""
    split_key = list(Split).index(split)
    return int(np.random.SeedSequence([seed, split_key, index]).generate_state(1)[0])


# --- apply: deterministic ---------------------------------------------------------------


def out_from_source(params: AugmentParams, source_hw: tuple[int, int], size: int) -> np.ndarray:
    """The 3x3 affine matrix taking pixel coordinates of the source to those of an output half.

    Identity params fit the whole source into the size x size half, centred, aspect kept.
    Order about the centre: flips, zoom, shear, rotation, then the shift.
    """
    height, width = source_hw
    fit = size / max(height, width)
    shear = np.array([[1.0, math.tan(math.radians(params.shear_x)), 0.0],
                      [math.tan(math.radians(params.shear_y)), 1.0, 0.0], [0.0, 0.0, 1.0]])
    flips = geometry.scaling(-1.0 if params.hflip else 1.0, -1.0 if params.vflip else 1.0)
    centre_out = (size - 1) / 2
    return (geometry.translation(centre_out + params.tx * size, centre_out + params.ty * size)
            @ geometry.rotation(params.angle) @ shear @ geometry.scaling(params.scale * fit) @ flips
            @ geometry.translation(-(width - 1) / 2, -(height - 1) / 2))


@dataclass(frozen=True)
class PreparedPair:
    """A source pair made ready once for many draws.

    Area-filtered down to about the output size: shrinking once with INTER_AREA, then warping
    at a zoom near 1, is anti-aliased and cheap, where warping 512 px straight to 256 px with
    bilinear sampling would alias. Held as BGRA: OpenCV's 4-channel warp is bit-identical to
    the 3-channel one and a third faster (vectorised path; measured 0.55 vs 0.85 ms at 256 px).
    """

    source_hw: tuple[int, int]
    a: np.ndarray  # (h, w, 4) uint8 BGRA, h and w about the output size
    b: np.ndarray
    fill_a: tuple[float, ...]  # median colour of the outer ring, for Border.SURFACE
    fill_b: tuple[float, ...]


def prepare_pair(a: np.ndarray, b: np.ndarray, *, size: int) -> PreparedPair:
    """Make an aligned (A, B) pair of BGR images ready for many ``render`` calls at ``size``."""
    if a.shape != b.shape:
        raise CardprepError(f"A is {a.shape[1]}x{a.shape[0]} but B is {b.shape[1]}x{b.shape[0]}; "
                            "aligned halves must have the same size")
    height, width = a.shape[:2]
    fit = size / max(height, width)
    if fit < 1:
        shrunk = (max(1, round(width * fit)), max(1, round(height * fit)))
        a, b = (cv2.resize(x, shrunk, interpolation=cv2.INTER_AREA) for x in (a, b))
    a, b = (cv2.cvtColor(x, cv2.COLOR_BGR2BGRA) for x in (a, b))
    return PreparedPair((height, width), a, b, _ring_median(a), _ring_median(b))


def _ring_median(image: np.ndarray, width: int = 4) -> tuple[float, ...]:
    channels = image.shape[2]
    ring = np.concatenate([image[:width].reshape(-1, channels), image[-width:].reshape(-1, channels),
                           image[:, :width].reshape(-1, channels), image[:, -width:].reshape(-1, channels)])
    return tuple(float(v) for v in np.median(ring, axis=0))


def render(pair: PreparedPair, params: AugmentParams, *, size: int, border: Border) -> tuple[np.ndarray, np.ndarray]:
    """Both (size, size, 3) BGR halves of one image: the same matrix for A and B, then each half's jitter."""
    height, width = pair.source_hw
    prepared_h, prepared_w = pair.a.shape[:2]
    # Prepared pixel centres back to source pixel centres (the shrink maps edges to edges).
    source_from_prepared = (geometry.translation(-0.5, -0.5) @ geometry.scaling(width / prepared_w, height / prepared_h)
                            @ geometry.translation(0.5, 0.5))
    matrix = (out_from_source(params, pair.source_hw, size) @ source_from_prepared)[:2]
    border_mode = cv2.BORDER_REFLECT_101 if border is Border.REFLECT else cv2.BORDER_CONSTANT
    halves = []
    for image, fill, jitter in ((pair.a, pair.fill_a, params.jitter_a), (pair.b, pair.fill_b, params.jitter_b)):
        warped = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border_mode,
                                borderValue=fill)  # the fill is used by BORDER_CONSTANT only
        warped = cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR)
        halves.append(warped if jitter.is_identity else apply_jitter(warped, jitter))
    return halves[0], halves[1]


def apply(a: np.ndarray, b: np.ndarray, params: AugmentParams, *, size: int = 256,
          border: Border = Border.REFLECT) -> tuple[np.ndarray, np.ndarray]:
    """Transform an aligned pair with ``params``: the two size x size halves."""
    return render(prepare_pair(a, b, size=size), params, size=size, border=border)


def apply_jitter(image: np.ndarray, jitter: Jitter) -> np.ndarray:
    """Brightness and contrast through one lookup table, then saturation towards grey."""
    values = np.arange(256, dtype=np.float64)
    table = np.clip((values * jitter.brightness - 127.5) * jitter.contrast + 127.5 + 0.5, 0, 255).astype(np.uint8)
    out = cv2.LUT(image, table)
    if jitter.saturation != 1.0:
        grey = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        out = cv2.addWeighted(out, jitter.saturation, grey, 1.0 - jitter.saturation, 0.0)
    return out


def side_by_side(a: np.ndarray, b: np.ndarray) -> bytes:
    """The dataset file: A left, B right, JPEG at Contract 3's quality."""
    return encode_image(np.hstack([a, b]), ".jpg", jpeg_quality=JPEG_QUALITY)


# --- the dataset: plan, render in parallel, manifest ---------------------------------------


@dataclass(frozen=True)
class ManifestRow:
    """One dataset image: where it is, what it came from, and everything that re-makes it."""

    path: str  # relative to the manifest's folder, e.g. "train/0007_7.jpg"
    split: Split
    source: str  # the pair's stem
    seed: int  # draw_params(seed, config) gave params
    params: AugmentParams
    size: int
    border: Border
    split_policy: SplitPolicy


_GEOMETRY = tuple(f.name for f in fields(AugmentParams) if not f.name.startswith("jitter"))
_JITTER = tuple(f.name for f in fields(Jitter))
MANIFEST_COLUMNS = ("path", "split", "source", "seed", *_GEOMETRY,
                    *(f"{half}_{name}" for half in "ab" for name in _JITTER), "size", "border", "split_policy")


@dataclass(frozen=True)
class DatasetSummary:
    out: Path
    n_train: int
    n_val: int
    sources: tuple[str, ...]  # the pairs used
    val_sources: tuple[str, ...]  # pairs kept out of train (empty for SplitPolicy.DRAWS)
    split_policy: SplitPolicy
    orphans: tuple[Orphan, ...]  # stems without a partner: reported and skipped


def build_dataset(aligned: str | Path, out: str | Path, config: AugmentConfig = AugmentConfig(), *,
                  workers: int | None = None, on_progress: Callable[[int], None] | None = None) -> DatasetSummary:
    """Write ``out/train``, ``out/val`` and ``out/manifest.csv`` from the aligned pairs in ``aligned``.

    ``out`` is built under a temporary name and swapped in whole at the end: a failure or
    Ctrl-C leaves the previous dataset (or none) as it was. A stem without its partner is
    skipped and returned in ``orphans``; an unreadable image fails the build, naming the
    file. ``on_progress(k)`` is told each time k more images are written.
    """
    aligned, out = Path(aligned), Path(out)
    listing = find_pairs(aligned)
    if not listing.pairs:
        raise CardprepError(f"{aligned}: no complete A/B pair ({len(listing.orphans)} stems without a partner)")
    _check_out(out, aligned)
    pairs = {pair.stem: pair for pair in listing.pairs}
    train_sources, val_sources = _split_sources(tuple(pairs), config)
    if resolve_workers(workers, config.n_train + config.n_val) > 1:
        _start_worker_server()
    rows = _plan(train_sources, val_sources, config)
    jobs = _jobs(rows, pairs, workers)
    with staged_dir(out) as stage:
        for split in Split:
            (stage / split.value).mkdir()
        for written, error in _run_jobs([(stage, pair, chunk) for pair, chunk in jobs], resolve_workers(workers, len(jobs))):
            if error:
                raise CardprepError(error)
            if on_progress:
                on_progress(written)
        write_manifest(stage / MANIFEST_NAME, rows)
    held_out = val_sources if config.split_policy is not SplitPolicy.DRAWS else ()
    return DatasetSummary(out, config.n_train, config.n_val, tuple(pairs), held_out, config.split_policy, listing.orphans)


def _check_out(out: Path, aligned: Path) -> None:
    """Refuse outputs whose replacement would destroy something that is not a dataset."""
    out_abs, aligned_abs = out.resolve(), aligned.resolve()
    if out_abs == aligned_abs or out_abs in aligned_abs.parents or aligned_abs in out_abs.parents:
        raise CardprepError(f"{out}: the dataset folder must be outside the aligned folder {aligned} and not contain it")
    check_replaceable(out, marker=MANIFEST_NAME, kind="a dataset")


def _split_sources(stems: tuple[str, ...], config: AugmentConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train sources, val sources) under the config's split policy."""
    if config.n_val == 0:
        return stems, ()
    policy = config.split_policy
    if policy is SplitPolicy.DRAWS:
        return stems, stems
    if policy is SplitPolicy.HOLDOUT:
        _check(config.holdout < len(stems), f"--holdout {config.holdout} leaves no pair for train: "
                                            f"there are {len(stems)} pairs")
        chooser = np.random.default_rng(np.random.SeedSequence([config.seed, 0x401D]))
        held = set(chooser.choice(len(stems), config.holdout, replace=False).tolist())
    else:
        unknown = [name for name in config.val_sources if name not in stems]
        _check(not unknown, f"--val-sources: no pair named {', '.join(map(repr, unknown))} "
                            f"(pairs: {', '.join(stems[:20])}{', ...' if len(stems) > 20 else ''})")
        _check(len(config.val_sources) < len(stems), "--val-sources names every pair: none is left for train")
        held = {stems.index(name) for name in config.val_sources}
    return (tuple(s for i, s in enumerate(stems) if i not in held),
            tuple(s for i, s in enumerate(stems) if i in held))


def _plan(train_sources: tuple[str, ...], val_sources: tuple[str, ...], config: AugmentConfig) -> list[ManifestRow]:
    """Every image of the dataset, in manifest order; sources take turns so each is used evenly."""
    rows = []
    for split, count, sources in ((Split.TRAIN, config.n_train, train_sources), (Split.VAL, config.n_val, val_sources)):
        digits = max(4, len(str(count - 1)))
        for index in range(count):
            source = sources[index % len(sources)]
            seed = image_seed(config.seed, split, index)
            rows.append(ManifestRow(f"{split.value}/{index:0{digits}d}_{source}.jpg", split, source, seed,
                                    draw_params(seed, config), config.size, config.border, config.split_policy))
    return rows


_MIN_CHUNK = 32  # images per job at least, so decoding a pair stays a small part of a job


def _jobs(rows: list[ManifestRow], pairs: dict[str, Pair], workers: int | None) -> list[tuple[Pair, tuple[ManifestRow, ...]]]:
    """Each source's images in a job or a few: a job decodes its pair once.

    A source is split over several jobs only when there are too few sources to keep every
    worker busy to the end (about four jobs per worker).
    """
    by_source: dict[str, list[ManifestRow]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    wanted = 4 * resolve_workers(workers, len(rows))
    jobs = []
    for source, source_rows in by_source.items():
        per_job = max(_MIN_CHUNK, math.ceil(len(source_rows) * len(by_source) / wanted))
        jobs += [(pairs[source], tuple(source_rows[i:i + per_job])) for i in range(0, len(source_rows), per_job)]
    return jobs


def _run_jobs(jobs: list[tuple[Path, Pair, tuple[ManifestRow, ...]]], workers: int) -> Iterator[tuple[int, str | None]]:
    """``_render_job`` over ``jobs`` on ``workers`` processes, results as they finish.

    Not ``cardprep.parallel.ordered_map``, for two reasons. Workers come from a forkserver:
    a child forked from a process whose OpenCV thread pool has run can hang for ever in
    ``cv2.setNumThreads`` (pthread_cond_destroy on a condition its vanished threads held;
    seen here under pytest). And when the caller stops early (an error, Ctrl-C) the jobs
    not started are cancelled instead of all being run first.
    """
    if workers <= 1:
        yield from map(_render_job, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=_start_worker_server(), initializer=cv2.setNumThreads,
                             initargs=(1,)) as pool:
        futures = [pool.submit(_render_job, job) for job in jobs]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _start_worker_server() -> multiprocessing.context.BaseContext:
    """The forkserver context, its server started now (non-blocking; a no-op once running).

    The server imports cardprep.augment once (~0.3 s) and every worker forks from it ready;
    started before the planning, that import overlaps it instead of delaying the first image.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["cardprep.augment.dataset"])
    forkserver.ensure_running()
    return context


def _render_job(job: tuple[Path, Pair, tuple[ManifestRow, ...]]) -> tuple[int, str | None]:
    """Decode one pair, write its images; (images written, error message or None).

    Errors travel back as text: exceptions with custom constructors do not survive the trip
    between processes.
    """
    stage, pair, rows = job
    try:
        a, b = read_image(pair.a), read_image(pair.b)
    except ImageError as error:  # names the file already
        return 0, str(error)
    try:
        prepared = prepare_pair(a, b, size=rows[0].size)
    except CardprepError as error:
        return 0, f"{pair.a} and {pair.b}: {error}"
    for row in rows:
        (stage / row.path).write_bytes(side_by_side(*render(prepared, row.params, size=row.size, border=row.border)))
    return len(rows), None


def write_manifest(path: Path, rows: Sequence[ManifestRow]) -> None:
    """Contract 3's manifest; floats written with repr so they read back bit for bit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(_to_cells(row) for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _to_cells(row: ManifestRow) -> list[str]:
    geometry_values = [getattr(row.params, name) for name in _GEOMETRY]
    jitter_values = [getattr(jitter, name) for jitter in (row.params.jitter_a, row.params.jitter_b) for name in _JITTER]
    values = [row.path, row.split.value, row.source, row.seed, *geometry_values, *jitter_values,
              row.size, row.border.value, row.split_policy.value]
    return [str(v).lower() if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v) for v in values]


def read_manifest(path: str | Path) -> tuple[ManifestRow, ...]:
    """The rows of a manifest written by ``build_dataset``; CardprepError names the line at fault."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or ())]
            _check(not missing, f"{path}: not a cardprep manifest (missing columns: {', '.join(missing)})")
            return tuple(_from_cells(path, line, cells) for line, cells in enumerate(reader, start=2))
    except OSError as error:
        raise CardprepError(f"{path}: cannot be read ({error.strerror})") from error


def _from_cells(path: Path, line: int, cells: dict[str, str]) -> ManifestRow:
    try:
        number = {name: float(cells[name]) for name in _GEOMETRY if name not in ("hflip", "vflip")}
        flips = {name: _parse_bool(cells[name]) for name in ("hflip", "vflip")}
        jitters = [Jitter(**{name: float(cells[f"{half}_{name}"]) for name in _JITTER}) for half in "ab"]
        return ManifestRow(cells["path"], Split(cells["split"]), cells["source"], int(cells["seed"]),
                           AugmentParams(**number, **flips, jitter_a=jitters[0], jitter_b=jitters[1]),
                           int(cells["size"]), Border(cells["border"]), SplitPolicy(cells["split_policy"]))
    except (ValueError, TypeError) as error:
        raise CardprepError(f"{path}, line {line}: {error}") from None


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return text == "true"


def remake(aligned: str | Path, row: ManifestRow) -> bytes:
    """The file ``row`` describes, made again from the aligned pair: byte-identical to the original."""
    pairs = {pair.stem: pair for pair in find_pairs(aligned).pairs}
    if row.source not in pairs:
        raise CardprepError(f"{aligned}: no pair named {row.source!r}, which {row.path} was made from")
    pair = pairs[row.source]
    prepared = prepare_pair(read_image(pair.a), read_image(pair.b), size=row.size)
    return side_by_side(*render(prepared, row.params, size=row.size, border=row.border))

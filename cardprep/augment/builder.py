"""Building a dataset: aligned A/B pairs (Contract 2) -> the A|B dataset (Contract 3).

The frame of the pairs (align.json, written by ``cardprep align``) resolves the config's
defaults; plan (:mod:`cardprep.augment.plan`), then render the jobs on the shared worker pool
(:mod:`cardprep.common.parallel`), each job decoding its pair once, then the manifest. Each
image's seed comes from the run's seed, its split and its index, so the files do not depend
on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cardprep.align.config import RECORD, AlignConfig, Frame, read_record
from cardprep.augment.functional import render, side_by_side
from cardprep.augment.manifest import MANIFEST_NAME, ManifestRow, load_pair, write_manifest
from cardprep.augment.params import AugmentConfig, Split, SplitPolicy
from cardprep.augment.plan import plan_jobs, plan_rows, split_sources
from cardprep.common.atomic import check_apart, check_replaceable, staged_dir
from cardprep.common.parallel import resolve_workers, unordered_map, warm_up
from cardprep.errors import CardprepError
from cardprep.pairs import Orphan, Pair, find_pairs

ALIGN_REPORT = "report.csv"  # what cardprep align writes beside A/ and B/ (Contract 2)


@dataclass(frozen=True)
class DatasetSummary:
    out: Path
    n_train: int
    n_val: int
    sources: tuple[str, ...]  # the pairs used
    val_sources: tuple[str, ...]  # pairs kept out of train (empty for SplitPolicy.DRAWS)
    split_policy: SplitPolicy
    frame: Frame  # the pairs' frame, from align.json (photo when there is none)
    config: AugmentConfig  # the config resolved for that frame: every strength used
    orphans: tuple[Orphan, ...]  # stems without a partner: reported and skipped
    warnings: tuple[str, ...] = ()  # what the user should know about the input, one line each


def build_dataset(aligned: str | Path, out: str | Path, config: AugmentConfig = AugmentConfig(), *,
                  workers: int | None = None, on_progress: Callable[[int], None] | None = None) -> DatasetSummary:
    """Write ``out/train``, ``out/val`` and ``out/manifest.csv`` from the aligned pairs in ``aligned``.

    Strengths left at None in ``config`` take the defaults of the frame ``aligned/align.json``
    records (the photo frame's when there is none). ``out`` is built under a temporary name and
    swapped in whole at the end: a failure or Ctrl-C leaves the previous dataset (or none) as
    it was. A stem without its partner is skipped and returned in ``orphans``; an unreadable
    image fails the build, naming the file. ``on_progress(k)`` is told each time k more images
    are written.
    """
    aligned, out = Path(aligned), Path(out)
    listing = find_pairs(aligned)
    if not listing.pairs:
        raise CardprepError(f"{aligned}: no complete A/B pair ({len(listing.orphans)} stems without a partner)")
    _check_out(out, aligned)
    record = read_record(aligned)
    frame = record.frame if record else Frame.PHOTO
    config = config.for_frame(frame)
    pairs = {pair.stem: pair for pair in listing.pairs}
    train_sources, val_sources = split_sources(tuple(pairs), config)
    if resolve_workers(workers, config.n_train + config.n_val) > 1:
        warm_up(_render_job)  # the worker server's imports overlap the planning
    rows = plan_rows(train_sources, val_sources, config)
    jobs = plan_jobs(rows, pairs, resolve_workers(workers, len(rows)))
    with staged_dir(out) as stage:
        for split in Split:
            (stage / split.value).mkdir()
        for written in unordered_map(_render_job, [(stage, pair, chunk) for pair, chunk in jobs],
                                     resolve_workers(workers, len(jobs))):
            if on_progress:
                on_progress(written)
        write_manifest(stage / MANIFEST_NAME, rows)
    held_out = val_sources if config.split_policy is not SplitPolicy.DRAWS else ()
    return DatasetSummary(out, config.n_train, config.n_val, tuple(pairs), held_out, config.split_policy, frame,
                          config, listing.orphans, _input_warnings(aligned, record))


def _check_out(out: Path, aligned: Path) -> None:
    """Refuse outputs whose replacement would destroy something that is not a dataset."""
    check_apart(aligned, out, output="the dataset folder", source_name="the aligned folder")
    check_replaceable(out, marker=MANIFEST_NAME, kind="a dataset")


def _input_warnings(aligned: Path, record: AlignConfig | None) -> tuple[str, ...]:
    """Photos that were never aligned make a dataset whose halves disagree, and an align output
    without its record may be card frames given the photo frame's defaults: say so."""
    if not (aligned / ALIGN_REPORT).is_file():
        return (f"{aligned}: no {ALIGN_REPORT}, so these pairs were not made by cardprep align; "
                "unaligned photos give a dataset whose A and B halves do not match",)
    if record is None:
        return (f"{aligned}: no {RECORD} (an align output older than the card frame?), so the photo frame's "
                "defaults were used; run cardprep align again if these are card frames",)
    return ()


def _render_job(job: tuple[Path, Pair, tuple[ManifestRow, ...]]) -> int:
    """Decode one pair, write its images into the stage; the number written. Errors name the files."""
    stage, pair, rows = job
    prepared = load_pair(pair, size=rows[0].size)
    for row in rows:
        (stage / row.path).write_bytes(side_by_side(*render(prepared, row.params, size=row.size, border=row.border)))
    return len(rows)

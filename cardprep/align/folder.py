"""``align_folder``: every pair of a RAW folder (Contract 1) into an OUT folder (Contract 2).

Reads the photos, runs ``align_pair`` on worker processes (each worker writes its own pair's
PNGs, so the images never travel between processes), and writes the report and the run's
config (``align.json``). The whole output folder is built aside and swapped in at the end, so
a rerun replaces it and an interrupted run leaves the old one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cardprep.align.config import AlignConfig, Overrides, write_record
from cardprep.align.pipeline import align_pair
from cardprep.align.report import REPORT, write_report
from cardprep.align.result import AlignResult, AlignSummary, Status
from cardprep.common.atomic import check_apart, check_replaceable, staged_dir
from cardprep.common.images import read_image, write_image
from cardprep.common.parallel import ordered_map, resolve_workers
from cardprep.errors import ImageError
from cardprep.pairs import Pair, find_pairs

OUTPUT_FOLDERS = ("A", "B", "overlays", "other")  # other/: B the other way round, for uncertain pairs


def align_folder(raw: str | Path, out: str | Path, config: AlignConfig = AlignConfig(), *,
                 overrides: Overrides = Overrides(), workers: int | None = None,
                 progress: Callable[[int, int], None] = lambda done, total: None) -> AlignSummary:
    """Align every pair of RAW into OUT, report included; ``progress(done, total)`` after each pair.

    ``overrides``: the user's word on the orientation of named pairs, over the pips'.

    Paths in the report are absolute. Raises UserError, before any work, when OUT and RAW
    overlap (OUT is replaced whole) or OUT is a folder that is not an earlier align output.
    """
    start = time.perf_counter()
    raw, out = Path(raw), Path(out)
    check_apart(raw, out, output="the output folder", source_name="the photo folder")
    listing = find_pairs(raw.resolve())
    check_replaceable(out, marker=REPORT, kind="an align output")
    overrides.check_known({pair.stem for pair in listing.pairs} | {orphan.stem for orphan in listing.orphans})
    results = [AlignResult(pair=o.stem, status=Status.FAILED, reason=o.reason) for o in listing.orphans]
    total = len(listing.pairs)
    progress(0, total)
    with staged_dir(out) as stage:
        for folder in OUTPUT_FOLDERS:
            (stage / folder).mkdir()
        jobs = [(pair, stage, config, overrides.for_pair(pair.stem)) for pair in listing.pairs]
        for done, result in enumerate(ordered_map(_align_job, jobs, resolve_workers(workers, total)), 1):
            results.append(result)
            progress(done, total)
        results.sort(key=lambda r: r.pair)
        write_report(stage, results)
        write_record(stage, config)
    return AlignSummary(out, tuple(results), time.perf_counter() - start)


def _align_job(job: tuple[Pair, Path, AlignConfig, bool | None]) -> AlignResult:
    """One pair from files to files, in a worker: read, align, write A, B and the overlay."""
    pair, out, config, turn = job
    start = time.perf_counter()
    files = {"pair": pair.stem, "a_file": str(pair.a), "b_file": str(pair.b)}
    try:
        photo_a, photo_b = read_image(pair.a), read_image(pair.b)
    except ImageError as error:
        return AlignResult(status=Status.FAILED, reason=f"unreadable: {error}", **files)
    result, images = align_pair(photo_a, photo_b, config, turn=turn)
    if images is not None:
        write_image(out / "A" / f"{pair.stem}.png", images.a)
        write_image(out / "B" / f"{pair.stem}.png", images.b)
        write_image(out / "overlays" / f"{pair.stem}.jpg", images.overlay, jpeg_quality=90)
        if images.other_b is not None:
            write_image(out / "other" / f"{pair.stem}.jpg", images.other_b, jpeg_quality=90)
    return replace(result, seconds=time.perf_counter() - start, **files)

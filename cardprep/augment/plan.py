"""Planning a dataset: which pairs feed train and val, every image's seed and draw, the jobs.

All of it is decided before the first pixel, from the config and the pair names alone: the
plan (the manifest's rows) does not depend on the number of workers, so neither do the files.
"""

from __future__ import annotations

import math

import numpy as np

from cardprep.augment.manifest import ManifestRow
from cardprep.augment.params import AugmentConfig, Split, SplitPolicy, draw_params, image_seed, option
from cardprep.errors import CardprepError
from cardprep.pairs import Pair

_HOLDOUT_KEY = 0x401D  # the holdout choice's own stream of the run's seed, apart from the images'


def split_sources(stems: tuple[str, ...], config: AugmentConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train sources, val sources) under the config's split policy."""
    if config.n_val == 0:
        return stems, ()
    policy = config.split_policy
    if policy is SplitPolicy.DRAWS:
        return stems, stems
    if policy is SplitPolicy.HOLDOUT:
        if config.holdout >= len(stems):
            raise CardprepError(f"{option('holdout')} {config.holdout} leaves no pair for train: "
                                f"there are {len(stems)} pairs")
        chooser = np.random.default_rng(np.random.SeedSequence([config.seed, _HOLDOUT_KEY]))
        held = set(chooser.choice(len(stems), config.holdout, replace=False).tolist())
    else:
        unknown = [name for name in config.val_sources if name not in stems]
        if unknown:
            raise CardprepError(f"{option('val_sources')}: no pair named {', '.join(map(repr, unknown))} "
                                f"(pairs: {', '.join(stems[:20])}{', ...' if len(stems) > 20 else ''})")
        if len(config.val_sources) >= len(stems):
            raise CardprepError(f"{option('val_sources')} names every pair: none is left for train")
        held = {stems.index(name) for name in config.val_sources}
    return (tuple(s for i, s in enumerate(stems) if i not in held),
            tuple(s for i, s in enumerate(stems) if i in held))


def plan_rows(train_sources: tuple[str, ...], val_sources: tuple[str, ...], config: AugmentConfig) -> list[ManifestRow]:
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


MIN_CHUNK = 32  # images per job at least, so decoding a pair stays a small part of a job


def plan_jobs(rows: list[ManifestRow], pairs: dict[str, Pair], workers: int) -> list[tuple[Pair, tuple[ManifestRow, ...]]]:
    """Each source's images in a job or a few: a job decodes its pair once.

    A source is split over several jobs only when there are too few sources to keep every
    one of ``workers`` busy to the end (about four jobs per worker).
    """
    by_source: dict[str, list[ManifestRow]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    wanted = 4 * workers
    jobs = []
    for source, source_rows in by_source.items():
        per_job = max(MIN_CHUNK, math.ceil(len(source_rows) * len(by_source) / wanted))
        jobs += [(pairs[source], tuple(source_rows[i:i + per_job])) for i in range(0, len(source_rows), per_job)]
    return jobs

"""``cardprep augment``: aligned pairs -> the A|B dataset and its manifest (Contract 3).

Split by job, as albumentations is: ``params`` (the config and each image's seeded draw),
``functional`` (the pure image functions), ``plan`` (splits and per-image seeds),
``manifest`` (read, write, remake) and ``builder`` (the dataset on the worker pool).
"""

from cardprep.augment.builder import DatasetSummary, build_dataset
from cardprep.augment.functional import apply, apply_jitter, out_from_source
from cardprep.augment.manifest import MANIFEST_COLUMNS, ManifestRow, read_manifest, remake
from cardprep.augment.params import (
    AugmentConfig,
    AugmentParams,
    Border,
    Jitter,
    Split,
    SplitPolicy,
    draw_params,
    image_seed,
)

__all__ = ["MANIFEST_COLUMNS", "AugmentConfig", "AugmentParams", "Border", "DatasetSummary", "Jitter", "ManifestRow",
           "Split", "SplitPolicy", "apply", "apply_jitter", "build_dataset", "draw_params", "image_seed",
           "out_from_source", "read_manifest", "remake"]

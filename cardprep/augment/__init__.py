"""``cardprep augment``: aligned pairs -> the A|B dataset and its manifest (Contract 3).

Split by job, as albumentations is: ``params`` (the config and each image's seeded draw),
``functional`` (the pure image functions), ``plan`` (splits and per-image seeds),
``manifest`` (read, write, remake) and ``builder`` (the dataset on the worker pool).
"""

from cardprep.augment.builder import DatasetSummary, build_dataset
from cardprep.augment.functional import apply, apply_camera, apply_jitter, band_profile, out_from_source
from cardprep.augment.manifest import MANIFEST_COLUMNS, ManifestRow, read_manifest, remake
from cardprep.augment.params import (
    FRAME_DEFAULTS,
    AugmentConfig,
    AugmentParams,
    Band,
    Border,
    Camera,
    Jitter,
    Split,
    SplitPolicy,
    draw_params,
    image_seed,
)

__all__ = ["FRAME_DEFAULTS", "MANIFEST_COLUMNS", "AugmentConfig", "AugmentParams", "Band", "Border", "Camera",
           "DatasetSummary", "Jitter", "ManifestRow", "Split", "SplitPolicy", "apply", "apply_camera", "apply_jitter",
           "band_profile", "build_dataset", "draw_params", "image_seed", "out_from_source", "read_manifest", "remake"]

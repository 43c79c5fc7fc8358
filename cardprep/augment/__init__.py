"""``cardprep augment``: aligned pairs -> the A|B dataset and its manifest (Contract 3)."""

from cardprep.augment.dataset import (
    MANIFEST_COLUMNS,
    AugmentConfig,
    AugmentParams,
    Border,
    DatasetSummary,
    Jitter,
    ManifestRow,
    Split,
    SplitPolicy,
    apply,
    apply_jitter,
    build_dataset,
    draw_params,
    image_seed,
    out_from_source,
    read_manifest,
    remake,
)

__all__ = ["MANIFEST_COLUMNS", "AugmentConfig", "AugmentParams", "Border", "DatasetSummary", "Jitter", "ManifestRow",
           "Split", "SplitPolicy", "apply", "apply_jitter", "build_dataset", "draw_params", "image_seed",
           "out_from_source", "read_manifest", "remake"]

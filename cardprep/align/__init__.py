"""``cardprep align``: register every club/heart pair, check it, write the pair and a QA report.

One way down: ``config`` and ``result`` (what a run is asked and what it makes), ``pipeline``
(one pair, in memory), ``report`` (csv and html), ``folder`` (files, workers, staging).
"""

from cardprep.align.config import AlignConfig, Frame, OnFlip, Overrides
from cardprep.align.folder import align_folder
from cardprep.align.pipeline import align_pair
from cardprep.align.result import AlignedImages, AlignResult, AlignSummary, Status

__all__ = ["AlignConfig", "AlignResult", "AlignSummary", "AlignedImages", "Frame", "OnFlip", "Overrides", "Status",
           "align_folder", "align_pair"]

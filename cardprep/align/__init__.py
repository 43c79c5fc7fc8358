"""``cardprep align``: register every club/heart pair, check it, write the pair and a QA report."""

from cardprep.align.pipeline import AlignConfig, AlignResult, AlignSummary, Frame, OnFlip, align_folder, align_pair

__all__ = ["AlignConfig", "AlignResult", "AlignSummary", "Frame", "OnFlip", "align_folder", "align_pair"]

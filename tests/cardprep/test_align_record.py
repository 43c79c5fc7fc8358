"""align records its resolved config in OUT/align.json, and what reads the folder gets it back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep import __version__
from cardprep.align import AlignConfig, Frame, OnFlip, align_folder
from cardprep.align.config import RECORD, read_record, write_record
from cardprep.common.errors import UserError


def _raw_without_pairs(root: Path) -> Path:
    """A RAW folder whose only photos have no partner: align runs to its end without detecting a card."""
    for side, stem in (("A", "x"), ("B", "y")):
        (root / side).mkdir(parents=True)
        cv2.imwrite(str(root / side / f"{stem}.png"), np.zeros((8, 8, 3), np.uint8))
    return root


def test_align_writes_its_resolved_config_with_the_version(tmp_path):
    raw = _raw_without_pairs(tmp_path / "raw")
    config = AlignConfig(frame=Frame.CARD, size=96, on_flip=OnFlip.FLAG)
    align_folder(raw, tmp_path / "out", config, workers=1)
    assert json.loads((tmp_path / "out" / RECORD).read_text()) == {
        "frame": "card", "size": 96, "on_flip": "flag", "cardprep": __version__}
    assert read_record(tmp_path / "out") == config


def test_a_rerun_replaces_the_record_with_the_output(tmp_path):
    raw = _raw_without_pairs(tmp_path / "raw")
    align_folder(raw, tmp_path / "out", AlignConfig(frame=Frame.CARD), workers=1)
    align_folder(raw, tmp_path / "out", AlignConfig(frame=Frame.PHOTO, size=64), workers=1)
    assert read_record(tmp_path / "out") == AlignConfig(frame=Frame.PHOTO, size=64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]  # nothing staged left beside it


def test_a_folder_without_a_record_reads_as_none(tmp_path):
    assert read_record(tmp_path) is None


def test_write_and_read_round_trip_every_choice(tmp_path):
    for frame in Frame:
        for on_flip in OnFlip:
            config = AlignConfig(frame=frame, size=333, on_flip=on_flip)
            write_record(tmp_path, config)
            assert read_record(tmp_path) == config


@pytest.mark.parametrize("text, words", [
    ("{not json", "not a readable align record"),
    ('{"frame": "sideways", "size": 64, "on_flip": "fix"}', "not an align record (ValueError"),
    ('{"frame": "card", "on_flip": "fix"}', "not an align record (KeyError"),
    ('{"frame": "card", "size": 2, "on_flip": "fix"}', "size must be a whole number of pixels"),
    ("[1, 2]", "not an align record (TypeError"),
])
def test_a_damaged_record_is_an_error_naming_it(tmp_path, text, words):
    (tmp_path / RECORD).write_text(text)
    with pytest.raises(UserError, match=f"^{re.escape(str(tmp_path / RECORD))}: ") as error:
        read_record(tmp_path)
    assert words in str(error.value)

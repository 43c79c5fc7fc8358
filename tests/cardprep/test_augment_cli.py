"""``cardprep augment`` through the CLI: the summary line, warnings, one-line errors, exit codes."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cardprep.align import Frame
from cardprep.augment import Band, read_manifest
from cardprep.cli import app

from .augment_fixtures import write_aligned

runner = CliRunner()


@pytest.fixture(scope="module")
def aligned(tmp_path_factory) -> Path:
    return write_aligned(tmp_path_factory.mktemp("cli") / "aligned", ["a", "b", "c"], size=128)


def _error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_writes_the_dataset_and_prints_one_summary_line(aligned, tmp_path):
    result = runner.invoke(app, ["augment", str(aligned), "--out", str(tmp_path / "ds"), "--n", "9", "--val", "3",
                                 "--size", "32", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"12 images \(9 train, 3 val\) from 3 photo-frame pairs in \d+\.\d s -> .*ds\n", result.stdout)
    assert len(list((tmp_path / "ds/train").iterdir())) == 9


def test_defaults_read_aligned_and_write_dataset_in_the_working_folder(aligned, tmp_path, monkeypatch):
    monkeypatch.chdir(aligned.parent)
    result = runner.invoke(app, ["augment", "--n", "3", "--val", "1", "--size", "16"])
    assert result.exit_code == 0, result.output
    assert (aligned.parent / "dataset/manifest.csv").is_file()


def test_holdout_is_named_in_the_summary(aligned, tmp_path):
    result = runner.invoke(app, ["augment", str(aligned), "-o", str(tmp_path / "ds"), "--n", "4", "--val", "2",
                                 "--size", "16", "--val-sources", "b", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "from 3 photo-frame pairs, val from held-out b in" in result.stdout


def test_an_orphan_is_a_warning_naming_it_and_the_run_succeeds(aligned, tmp_path):
    source = Path(shutil.copytree(aligned, tmp_path / "in"))
    (source / "B/c.png").unlink()
    result = runner.invoke(app, ["augment", str(source), "-o", str(tmp_path / "ds"), "--n", "4", "--val", "0",
                                 "--size", "16", "--workers", "1"])
    assert result.exit_code == 0
    [line] = _error_lines(result)
    assert re.fullmatch(rf"warning: {re.escape(str(source))}: c: only in A/.*, no partner in B/; skipped", line)
    assert "from 2 photo-frame pairs, 1 unpaired skipped in" in result.stdout


@pytest.mark.parametrize("missing, warning", [
    ("report.csv", "no report.csv, so these pairs were not made by cardprep align; unaligned photos give a dataset "
                   "whose A and B halves do not match"),
    ("align.json", "no align.json (an align output older than the card frame?), so the photo frame's defaults were "
                   "used; run cardprep align again if these are card frames"),
])
def test_an_input_without_what_align_writes_is_a_warning(aligned, tmp_path, missing, warning):
    source = Path(shutil.copytree(aligned, tmp_path / "in"))
    (source / missing).unlink()
    result = runner.invoke(app, ["augment", str(source), str(tmp_path / "ds"), "--n", "4", "--val", "0",
                                 "--size", "16", "--workers", "1"])
    assert result.exit_code == 0
    assert _error_lines(result) == [f"warning: {source}: {warning}"]
    assert (tmp_path / "ds/manifest.csv").is_file()


def _huge_png() -> bytes:
    """A few bytes whose header claims a 40000x30000 RGB image (1.2 gigapixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 40000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(16))) + chunk(b"IEND", b"")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_image_claiming_a_huge_size_is_a_one_line_error_naming_it(aligned, tmp_path, workers):
    source = Path(shutil.copytree(aligned, tmp_path / "in"))
    (source / "B/b.png").write_bytes(_huge_png())
    result = runner.invoke(app, ["augment", str(source), str(tmp_path / "ds"), "--n", "6", "--val", "0",
                                 "--size", "16", "--workers", workers])
    assert result.exit_code == 1
    [line] = _error_lines(result)
    assert line.startswith(f"error: {source / 'B/b.png'}: ") and "40000x30000" in line
    assert not (tmp_path / "ds").exists()


def test_bool_options_come_in_pairs_and_take_no_value(aligned, tmp_path):
    result = runner.invoke(app, ["augment", "--help"], env={"COLUMNS": "200"})
    flags = [line for line in result.stdout.splitlines() if "--hflip" in line or "--jitter-independent" in line]
    assert len(flags) == 2 and all("--no-" in line and "<bool>" not in line for line in flags)
    result = runner.invoke(app, ["augment", str(aligned), str(tmp_path / "ds"), "--n", "4", "--val", "0", "--size",
                                 "16", "--workers", "1", "--hflip", "--no-hflip"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("arguments, message", [
    (["nowhere"], "error: nowhere: no such folder"),
    (["ALIGNED", "--n", "0"], "error: --n must be at least 1, got 0"),
    (["ALIGNED", "--val", "-3"], "error: --val must be 0 or more, got -3"),
    (["ALIGNED", "--holdout", "3"], "error: --holdout 3 leaves no pair for train: there are 3 pairs"),
    (["ALIGNED", "--holdout", "1", "--val-sources", "a"], "error: use --holdout or --val-sources, not both"),
])
def test_errors_are_one_line_and_exit_1(aligned, tmp_path, arguments, message):
    arguments = [str(aligned) if a == "ALIGNED" else a for a in arguments]
    result = runner.invoke(app, ["augment", *arguments, "--out", str(tmp_path / "ds")])
    assert result.exit_code == 1
    assert _error_lines(result) == [message]
    assert result.stdout == "" and not (tmp_path / "ds").exists()


def test_help_explains_the_options():
    result = runner.invoke(app, ["augment", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for option in ("--out", "--n", "--val", "--holdout", "--val-sources", "--rotate", "--zoom", "--shear", "--shift",
                   "--hflip", "--border", "--brightness", "--contrast", "--saturation", "--jitter-independent",
                   "--white-balance", "--gamma", "--shadow", "--glare", "--blur", "--noise", "--jpeg", "--workers",
                   "--seed"):
        assert option in result.stdout


def test_help_gives_both_frames_defaults_of_a_strength():
    result = runner.invoke(app, ["augment", "--help"], env={"COLUMNS": "250"})
    [rotate] = [line for line in result.stdout.splitlines() if "--rotate" in line]
    assert "[default: 15 photo frame, 3 card frame]" in rotate
    [jpeg] = [line for line in result.stdout.splitlines() if "--jpeg" in line]
    assert "[default: 0 photo frame, 60 card frame]" in jpeg


def test_a_card_frame_folder_gets_the_card_defaults_and_the_summary_says_so(tmp_path):
    aligned = write_aligned(tmp_path / "aligned", ["a", "b"], size=64, frame=Frame.CARD)
    result = runner.invoke(app, ["augment", str(aligned), "-o", str(tmp_path / "ds"), "--n", "6", "--val", "0",
                                 "--size", "16", "--workers", "1", "--shadow", "0"])
    assert result.exit_code == 0, result.output
    assert "from 2 card-frame pairs in" in result.stdout and not _error_lines(result)
    rows = read_manifest(tmp_path / "ds/manifest.csv")
    assert all(r.params.camera.shadow == Band() for r in rows)  # switched off by its option
    assert all(abs(r.params.angle) <= 3 and r.params.camera.noise <= 6 for r in rows)  # the card defaults
    assert any(r.params.camera.glare != Band() for r in rows)

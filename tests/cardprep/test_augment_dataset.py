"""cardprep.augment.build_dataset: Contract 3 on disk, reproducibility, splits, errors, atomicity."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from cardprep.align import Frame
from cardprep.augment import (
    MANIFEST_COLUMNS,
    AugmentConfig,
    Border,
    Split,
    SplitPolicy,
    build_dataset,
    draw_params,
    read_manifest,
    remake,
)
from cardprep.augment.manifest import write_manifest
from cardprep.augment.plan import plan_rows
from cardprep.common.errors import UserError

from .augment_fixtures import write_aligned

STEMS = ["00-A", "01-2", "02-3", "03-4", "04-5"]
SMALL = AugmentConfig(n_train=24, n_val=8, size=64, seed=11)


@pytest.fixture(scope="module")
def aligned(tmp_path_factory) -> Path:
    return write_aligned(tmp_path_factory.mktemp("aligned"), STEMS, size=256)


@pytest.fixture(scope="module")
def dataset(aligned, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built") / "dataset"
    build_dataset(aligned, out, SMALL, workers=1)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class TestLayout:
    def test_counts_names_and_sizes(self, dataset):
        train, val = sorted((dataset / "train").iterdir()), sorted((dataset / "val").iterdir())
        assert (len(train), len(val)) == (24, 8)
        assert train[0].name == "0000_00-A.jpg" and val[-1].name == "0007_02-3.jpg"
        for path in (train[0], val[-1]):
            image = cv2.imread(str(path))
            assert image.shape == (64, 128, 3)
            assert path.read_bytes()[:2] == b"\xff\xd8"
        assert sorted(p.name for p in dataset.iterdir()) == ["manifest.csv", "train", "val"]

    def test_manifest_columns_and_types(self, dataset):
        frame = pd.read_csv(dataset / "manifest.csv")
        assert tuple(frame.columns) == MANIFEST_COLUMNS
        assert len(frame) == 32 and frame["path"].is_unique
        assert all((dataset / path).is_file() for path in frame["path"])
        assert set(frame["split"]) == {"train", "val"} and set(frame["source"]) == set(STEMS)
        for column in ("seed", "size", "noise_seed", "jpeg_quality"):
            assert frame[column].dtype == np.int64
        for column in ("angle", "scale", "shear_x", "shear_y", "tx", "ty", "a_brightness", "b_saturation", "red_gain",
                       "gamma", "shadow_strength", "glare_edge", "blur", "noise"):
            assert frame[column].dtype == np.float64
        assert frame["hflip"].dtype == bool and frame["vflip"].dtype == bool
        assert set(frame["border"]) == {"reflect"} and set(frame["split_policy"]) == {"draws"}

    def test_manifest_columns_are_contract_3s(self):
        assert MANIFEST_COLUMNS == (
            "path", "split", "source", "seed", "angle", "scale", "shear_x", "shear_y", "tx", "ty", "hflip", "vflip",
            "a_brightness", "a_contrast", "a_saturation", "b_brightness", "b_contrast", "b_saturation",
            "red_gain", "blue_gain", "gamma", "shadow_strength", "shadow_angle", "shadow_offset", "shadow_width",
            "shadow_edge", "glare_strength", "glare_angle", "glare_offset", "glare_width", "glare_edge", "blur",
            "noise", "noise_seed", "jpeg_quality", "size", "border", "split_policy")

    def test_every_field_of_every_row_reads_back_exactly(self, tmp_path):
        config = AugmentConfig(n_train=40, n_val=10, size=48, seed=3, brightness=0.4, contrast=0.4, saturation=0.4,
                               jitter_independent=True, hflip=True, vflip=True, border=Border.SURFACE,
                               val_sources=("b",)).for_frame(Frame.CARD)
        rows = plan_rows(("a", "c"), ("b",), config)
        write_manifest(tmp_path / "manifest.csv", rows)
        assert read_manifest(tmp_path / "manifest.csv") == tuple(rows)
        assert {r.params.hflip for r in rows} == {True, False} and rows[0].params.jitter_a != rows[0].params.jitter_b
        cameras = [r.params.camera for r in rows]  # every camera column takes values other than its identity's
        assert all(len({getattr(c, name) for c in cameras}) > 1 for name in ("red_gain", "blue_gain", "gamma", "blur",
                                                                             "noise", "noise_seed", "jpeg_quality"))
        for band in ("shadow", "glare"):
            assert all(len({getattr(getattr(c, band), name) for c in cameras}) > 1
                       for name in ("strength", "angle", "offset", "width", "edge")), band

    def test_a_manifest_saved_by_a_spreadsheet_as_csv_utf8_reads_the_same(self, dataset, tmp_path):
        text = (dataset / "manifest.csv").read_text(encoding="utf-8")
        (tmp_path / "manifest.csv").write_text("\ufeff" + text.replace("\n", "\r\n"), encoding="utf-8")
        assert read_manifest(tmp_path / "manifest.csv") == read_manifest(dataset / "manifest.csv")

    def test_sources_are_used_evenly(self, dataset):
        rows = read_manifest(dataset / "manifest.csv")
        counts = Counter(r.source for r in rows if r.split is Split.TRAIN)
        assert max(counts.values()) - min(counts.values()) <= 1

    def test_val_images_are_other_draws_than_train(self, dataset):
        rows = read_manifest(dataset / "manifest.csv")
        train = {r.seed for r in rows if r.split is Split.TRAIN}
        assert not train & {r.seed for r in rows if r.split is Split.VAL}


class TestReproducible:
    def test_same_input_and_seed_give_byte_identical_files_whatever_the_workers(self, aligned, dataset, tmp_path):
        build_dataset(aligned, tmp_path / "again", SMALL, workers=2)
        assert _files(tmp_path / "again") == _files(dataset)

    def test_another_seed_gives_other_images(self, aligned, dataset, tmp_path):
        build_dataset(aligned, tmp_path / "other", AugmentConfig(n_train=24, n_val=8, size=64, seed=12), workers=1)
        assert (tmp_path / "other/train/0000_00-A.jpg").read_bytes() != (dataset / "train/0000_00-A.jpg").read_bytes()

    def test_every_row_is_remade_exactly_from_its_record(self, aligned, dataset):
        for row in read_manifest(dataset / "manifest.csv"):
            assert remake(aligned, row) == (dataset / row.path).read_bytes(), row.path
            assert draw_params(row.seed, SMALL.for_frame(Frame.PHOTO)) == row.params  # and what the seed draws

    def test_rebuilding_replaces_the_dataset_whole(self, aligned, tmp_path):
        out = tmp_path / "dataset"
        build_dataset(aligned, out, AugmentConfig(n_train=12, n_val=4, size=32), workers=1)
        build_dataset(aligned, out, AugmentConfig(n_train=5, n_val=0, size=32), workers=1)
        assert len(list((out / "train").iterdir())) == 5 and not list((out / "val").iterdir())
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


class TestSplits:
    def test_holdout_keeps_whole_pairs_out_of_train(self, aligned, tmp_path):
        config = AugmentConfig(n_train=20, n_val=6, size=32, holdout=2)
        summary = build_dataset(aligned, tmp_path / "d", config, workers=1)
        rows = read_manifest(tmp_path / "d/manifest.csv")
        train = {r.source for r in rows if r.split is Split.TRAIN}
        val = {r.source for r in rows if r.split is Split.VAL}
        assert len(val) == 2 and not train & val and train | val == set(STEMS)
        assert set(summary.val_sources) == val and summary.split_policy is SplitPolicy.HOLDOUT
        assert {r.split_policy for r in rows} == {SplitPolicy.HOLDOUT}

    def test_holdout_choice_follows_the_seed(self, aligned, tmp_path):
        held = {build_dataset(aligned, tmp_path / f"d{seed}", AugmentConfig(n_train=5, n_val=2, size=32, seed=seed,
                                                                           holdout=2), workers=1).val_sources
                for seed in range(6)}
        assert len(held) > 1

    def test_named_val_sources(self, aligned, tmp_path):
        config = AugmentConfig(n_train=10, n_val=4, size=32, val_sources=("03-4", "01-2"))
        build_dataset(aligned, tmp_path / "d", config, workers=1)
        rows = read_manifest(tmp_path / "d/manifest.csv")
        assert {r.source for r in rows if r.split is Split.VAL} == {"01-2", "03-4"}
        assert {r.source for r in rows if r.split is Split.TRAIN} == {"00-A", "02-3", "04-5"}
        assert {r.split_policy for r in rows} == {SplitPolicy.SOURCES}

    @pytest.mark.parametrize("options, words", [
        ({"holdout": 5}, "--holdout 5 leaves no pair for train"),
        ({"val_sources": ("01-2", "nope")}, "no pair named 'nope'"),
        ({"val_sources": tuple(STEMS)}, "names every pair"),
    ])
    def test_splits_that_leave_train_empty_or_name_unknown_pairs_are_refused(self, aligned, tmp_path, options, words):
        with pytest.raises(UserError, match=words):
            build_dataset(aligned, tmp_path / "d", AugmentConfig(n_train=4, n_val=2, size=32, **options), workers=1)
        assert not (tmp_path / "d").exists()


def _copy(aligned: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(aligned, tmp_path / "aligned"))


TINY = AugmentConfig(n_train=6, n_val=2, size=32)


class TestErrors:
    def test_missing_and_empty_input_folders(self, tmp_path):
        with pytest.raises(UserError, match="no such folder"):
            build_dataset(tmp_path / "nowhere", tmp_path / "d", TINY)
        (tmp_path / "empty/A").mkdir(parents=True)
        (tmp_path / "empty/B").mkdir()
        with pytest.raises(UserError, match="hold no images"):
            build_dataset(tmp_path / "empty", tmp_path / "d", TINY)
        with pytest.raises(UserError, match="missing"):
            build_dataset(tmp_path, tmp_path / "d", TINY)

    def test_a_stem_without_its_partner_is_reported_and_skipped(self, aligned, tmp_path):
        source = _copy(aligned, tmp_path)
        (source / "B/02-3.png").unlink()
        summary = build_dataset(source, tmp_path / "d", TINY, workers=1)
        assert [o.stem for o in summary.orphans] == ["02-3"]
        assert summary.orphans[0].reason.startswith("only in A/") and "no partner in B/" in summary.orphans[0].reason
        assert "02-3" not in summary.sources and len(summary.sources) == 4
        assert not list((tmp_path / "d").rglob("*02-3*"))

    def test_only_orphans_is_an_error(self, tmp_path):
        root = write_aligned(tmp_path / "aligned", ["x"], size=64)
        (root / "B/x.png").unlink()
        (root / "B/y.png").write_bytes((root / "A/x.png").read_bytes())
        with pytest.raises(UserError, match="no complete A/B pair"):
            build_dataset(root, tmp_path / "d", TINY)

    @pytest.mark.parametrize("workers", [1, 2])
    def test_unreadable_image_fails_naming_it_and_keeps_the_old_dataset(self, aligned, tmp_path, workers):
        source = _copy(aligned, tmp_path)
        out = tmp_path / "dataset"
        build_dataset(source, out, TINY, workers=1)
        before = _files(out)
        bad = source / "B/03-4.png"
        bad.write_bytes(bad.read_bytes()[:500])
        with pytest.raises(UserError, match=r"03-4\.png: is a truncated PNG"):
            build_dataset(source, out, TINY, workers=workers)
        assert _files(out) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["aligned", "dataset"]

    def test_halves_of_different_sizes_are_refused_naming_both(self, aligned, tmp_path):
        source = _copy(aligned, tmp_path)
        image = cv2.imread(str(source / "B/01-2.png"))
        cv2.imwrite(str(source / "B/01-2.png"), image[:200])
        with pytest.raises(UserError, match=r"A/01-2\.png and .*B/01-2\.png: A is 256x256 but B is 256x200"):
            build_dataset(source, tmp_path / "d", TINY, workers=1)

    def test_refuses_to_replace_a_folder_that_is_not_a_dataset(self, aligned, tmp_path):
        precious = tmp_path / "photos"
        precious.mkdir()
        (precious / "holiday.jpg").write_bytes(b"keep me")
        with pytest.raises(UserError, match="not a dataset"):
            build_dataset(aligned, precious, TINY)
        assert (precious / "holiday.jpg").read_bytes() == b"keep me"

    def test_refuses_an_output_overlapping_the_input(self, aligned, tmp_path):
        for out in (aligned, aligned / "dataset", aligned.parent):
            with pytest.raises(UserError, match="outside the aligned folder"):
                build_dataset(aligned, out, TINY)

    @pytest.mark.parametrize("workers", [1, 2])
    def test_interrupted_build_leaves_the_previous_dataset_untouched(self, aligned, tmp_path, workers):
        out = tmp_path / "dataset"
        build_dataset(aligned, out, TINY, workers=1)
        before = _files(out)

        def interrupt(_: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            build_dataset(aligned, out, AugmentConfig(n_train=400, n_val=0, size=32), workers=workers, on_progress=interrupt)
        assert _files(out) == before
        assert [p.name for p in tmp_path.iterdir()] == ["dataset"]

    def test_a_damaged_manifest_is_reported_with_its_line(self, dataset, tmp_path):
        lines = (dataset / "manifest.csv").read_text().splitlines()
        lines[3] = lines[3].replace(",train,", ",sideways,")
        (tmp_path / "manifest.csv").write_text("\n".join(lines))
        with pytest.raises(UserError, match="manifest.csv, line 4: 'sideways' is not a valid Split"):
            read_manifest(tmp_path / "manifest.csv")
        (tmp_path / "other.csv").write_text("path,split\n")
        with pytest.raises(UserError, match="not a cardprep manifest"):
            read_manifest(tmp_path / "other.csv")

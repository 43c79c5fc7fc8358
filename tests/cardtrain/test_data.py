"""Reading datasets (Contract 3), the shared preprocessing, and jitter."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cardtrain.data import Jitter, apply_jitter, draw_jitter, list_split, load_split, to_bgr_images, to_model_rgb
from cardprep.common.errors import UserError
from cardtrain.errors import CardtrainError


def _write_manifest(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


class TestReading:
    def test_manifest_and_folder_give_the_same_split(self, tiny_data: Path) -> None:
        from_manifest = load_split(tiny_data / "manifest.csv", "train", size=32)
        from_folder = load_split(tiny_data, "train", size=32)
        assert from_manifest.pairs.shape == (8, 6, 32, 32)
        assert from_manifest.pairs.dtype == torch.uint8
        assert torch.equal(from_manifest.pairs, from_folder.pairs)

    def test_missing_split_is_empty(self, tiny_data: Path) -> None:
        assert len(load_split(tiny_data, "test", size=32)) == 0

    def test_channels_are_rgb_input_then_target(self, tmp_path: Path) -> None:
        (tmp_path / "train").mkdir()
        pair = np.zeros((8, 16, 3), np.uint8)
        pair[:, :8] = (255, 0, 0)  # BGR: A is pure blue
        pair[:, 8:] = (0, 0, 255)  # B is pure red
        cv2.imwrite(str(tmp_path / "train" / "p.png"), pair)
        a_to_b = load_split(tmp_path, "train", size=8).pairs[0, :, 0, 0].tolist()
        assert a_to_b == [0, 0, 255, 255, 0, 0]  # input blue in RGB, target red in RGB
        b_to_a = load_split(tmp_path, "train", size=8, direction="BtoA").pairs[0, :, 0, 0].tolist()
        assert b_to_a == [255, 0, 0, 0, 0, 255]

    def test_manifest_with_a_missing_file_names_it(self, tiny_data: Path, tmp_path: Path) -> None:
        rows = [{"path": "train/nope.jpg", "split": "train"}]
        manifest = _write_manifest(tmp_path / "manifest.csv", rows, ["path", "split"])
        with pytest.raises(CardtrainError, match=r"manifest.csv, line 2: train/nope.jpg does not exist"):
            list_split(manifest, "train")

    def test_manifest_without_a_split_column_says_which(self, tmp_path: Path) -> None:
        manifest = _write_manifest(tmp_path / "manifest.csv", [{"path": "a.jpg", "part": "train"}], ["path", "part"])
        with pytest.raises(CardtrainError, match="missing column.*split"):
            list_split(manifest, "train")

    def test_manifest_with_an_unknown_split(self, tiny_data: Path, tmp_path: Path) -> None:
        shutil.copy(tiny_data / "train" / "train_000.png", tmp_path / "x.png")
        manifest = _write_manifest(tmp_path / "m.csv", [{"path": "x.png", "split": "training"}], ["path", "split"])
        with pytest.raises(CardtrainError, match="split 'training' is not one of train, val, test"):
            list_split(manifest, "train")

    def test_image_that_is_not_a_pair(self, tmp_path: Path) -> None:
        (tmp_path / "train").mkdir()
        cv2.imwrite(str(tmp_path / "train" / "square.png"), np.zeros((16, 16, 3), np.uint8))
        with pytest.raises(CardtrainError, match=r"square.png: is 16x16, but an A\|B pair"):
            load_split(tmp_path, "train", size=8)

    def test_unreadable_image(self, tmp_path: Path) -> None:
        (tmp_path / "train").mkdir()
        (tmp_path / "train" / "broken.jpg").write_bytes(b"not a jpeg")
        with pytest.raises(UserError, match="broken.jpg: not a readable image"):
            load_split(tmp_path, "train", size=8)


class TestPreprocessing:
    def test_centre_square_crop_then_resize(self) -> None:
        image = np.zeros((20, 40, 3), np.uint8)
        image[:, 10:30] = (0, 255, 0)  # the centred 20x20 square is green, the rest black
        out = to_model_rgb(image, 10)
        assert out.shape == (10, 10, 3)
        assert (out == (0, 255, 0)).all()

    def test_round_trip_to_bgr(self) -> None:
        image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
        rgb = torch.from_numpy(to_model_rgb(image, 16)).permute(2, 0, 1)[None].float() / 127.5 - 1
        assert np.array_equal(to_bgr_images(rgb)[0], image)


class TestJitter:
    def test_equals_resize_then_crop_then_flip(self) -> None:
        pairs = torch.randint(0, 256, (3, 6, 16, 16), dtype=torch.uint8)
        jitter = Jitter(offsets=torch.tensor([[0, 0], [4, 1], [2, 4]]), flips=torch.tensor([False, True, False]))
        out = apply_jitter(pairs, jitter, load_size=20)
        big = F.interpolate(pairs.float() / 127.5 - 1, size=20, mode="bilinear", align_corners=False)
        for i, ((x, y), flip) in enumerate(zip(jitter.offsets.tolist(), jitter.flips.tolist())):
            expected = big[i, :, y : y + 16, x : x + 16]
            expected = expected.flip(-1) if flip else expected
            torch.testing.assert_close(out[i], expected, atol=1e-5, rtol=0)

    def test_no_zoom_no_flip_is_identity(self) -> None:
        pairs = torch.randint(0, 256, (2, 6, 8, 8), dtype=torch.uint8)
        jitter = Jitter(torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, dtype=torch.bool))
        torch.testing.assert_close(apply_jitter(pairs, jitter, load_size=8), pairs.float() / 127.5 - 1)

    def test_draw_is_seeded_and_in_range(self) -> None:
        draws = [draw_jitter(64, crop_size=16, load_size=20, flip=True, generator=torch.Generator().manual_seed(5))
                 for _ in range(2)]  # fmt: skip
        assert torch.equal(draws[0].offsets, draws[1].offsets)
        assert draws[0].offsets.min() == 0 and draws[0].offsets.max() == 4
        assert 0 < draws[0].flips.sum() < 64
        assert not draw_jitter(8, crop_size=16, load_size=20, flip=False, generator=torch.Generator()).flips.any()

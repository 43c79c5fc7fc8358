"""cardprep.augment: the draw, the apply, and the geometry both halves share."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from cardprep import geometry
from cardprep.align import Frame
from cardprep.augment import (
    AugmentConfig,
    AugmentParams,
    Border,
    Jitter,
    Split,
    apply,
    apply_jitter,
    draw_params,
    image_seed,
    out_from_source,
)
from cardprep.common.errors import UserError

from .augment_fixtures import card_centre, card_mask, card_outline, make_pair

SOURCE = 512  # aligned pairs as cardprep align writes them
SIZE = 256  # each half of a dataset image


def photo(**options) -> AugmentConfig:
    """A config resolved for the photo frame, as build_dataset resolves it for a photo-frame folder."""
    return AugmentConfig(**options).for_frame(Frame.PHOTO)


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    return make_pair(SOURCE, seed=3)


class TestDrawParams:
    def test_pure_function_of_seed_and_config(self):
        assert draw_params(7, photo()) == draw_params(7, photo())
        assert draw_params(7, photo()) != draw_params(8, photo())

    def test_values_stay_in_their_ranges_and_cover_both_signs(self):
        config = photo(rotate=10, zoom=0.2, shear=5, shift=0.1)
        draws = [draw_params(seed, config) for seed in range(300)]
        for name, bound in (("angle", 10), ("shear_x", 5), ("shear_y", 5), ("tx", 0.1), ("ty", 0.1)):
            values = np.array([getattr(d, name) for d in draws])
            assert np.abs(values).max() <= bound
            assert values.min() < -0.8 * bound and values.max() > 0.8 * bound, name
        scales = np.array([d.scale for d in draws])
        assert 1 / 1.2 <= scales.min() < 0.86 and 1.16 < scales.max() <= 1.2  # zooms out and in
        assert abs(np.mean(np.log(scales))) < 0.03  # log-uniform: in and out equally often

    def test_flips_off_by_default_and_half_the_time_when_on(self):
        assert not any(draw_params(s, photo()).hflip for s in range(100))
        flips = [draw_params(s, photo(hflip=True)).hflip for s in range(400)]
        assert 0.4 < np.mean(flips) < 0.6

    def test_jitter_off_by_default_then_the_same_for_both_halves_unless_independent(self):
        assert draw_params(1, photo()).jitter_a.is_identity
        same = draw_params(1, photo(brightness=0.2, contrast=0.2, saturation=0.2))
        assert same.jitter_a == same.jitter_b and not same.jitter_a.is_identity
        independent = draw_params(1, photo(brightness=0.2, contrast=0.2, saturation=0.2, jitter_independent=True))
        assert independent.jitter_a == same.jitter_a and independent.jitter_b != independent.jitter_a

    def test_brightness_contrast_and_saturation_each_have_their_strength(self):
        jitter = draw_params(4, photo(brightness=0.2, saturation=0.1)).jitter_a
        assert jitter.contrast == 1.0 and abs(jitter.brightness - 1) <= 0.2 and abs(jitter.saturation - 1) <= 0.1
        assert jitter.brightness != 1.0 and jitter.saturation != 1.0

    def test_switching_jitter_on_keeps_the_geometry(self):
        plain, jittered = draw_params(5, photo()), draw_params(5, photo(brightness=0.3))
        assert (plain.angle, plain.scale, plain.tx) == (jittered.angle, jittered.scale, jittered.tx)

    def test_image_seeds_differ_between_splits_and_do_not_depend_on_count(self):
        train = {image_seed(0, Split.TRAIN, i) for i in range(1000)}
        val = {image_seed(0, Split.VAL, i) for i in range(1000)}
        assert len(train) == 1000 and not train & val
        assert image_seed(0, Split.TRAIN, 5) != image_seed(1, Split.TRAIN, 5)


class TestConfigValidation:
    @pytest.mark.parametrize("options, words", [
        ({"n_train": 0}, "--n must be at least 1, got 0"), ({"n_val": -1}, "--val must be 0 or more"),
        ({"size": 4}, "--size must be between"), ({"zoom": -0.1}, "--zoom must be"), ({"rotate": 200}, "--rotate must"),
        ({"rotate": float("nan")}, "--rotate must"), ({"shear": 60}, "--shear must"), ({"shift": 0.9}, "--shift must"),
        ({"brightness": 1.0}, "--brightness must be between 0 and 0.9"), ({"seed": -1}, "--seed must"),
        ({"white_balance": -0.1}, "--white-balance must"), ({"noise": float("nan")}, "--noise must"),
        ({"blur": 0.2}, "--blur must"), ({"jpeg": 100}, "--jpeg must be between 0 and 99"),
        ({"holdout": 2, "val_sources": ("a",)}, "use --holdout or --val-sources, not both"),
        ({"holdout": 1, "n_val": 0}, "--val is 0, but holding pairs out"), ({"val_sources": ("a", "a")}, "--val-sources repeats"),
    ])
    def test_nonsense_is_refused_in_the_options_words(self, options, words):
        with pytest.raises(UserError, match=f"^{re.escape(words)}"):
            AugmentConfig(**options)


def _centroid(mask: np.ndarray) -> np.ndarray:
    moments = cv2.moments(mask, binaryImage=True)
    return np.array([moments["m10"], moments["m01"]]) / moments["m00"]


def _outline_offsets(mask_a: np.ndarray, mask_b: np.ndarray) -> np.ndarray:
    """Distance (px) from each outline pixel of mask_a to the nearest outline pixel of mask_b."""
    def outline(mask: np.ndarray) -> np.ndarray:
        return mask - cv2.erode(mask, np.ones((3, 3), np.uint8))
    away_from_b = cv2.distanceTransform(1 - outline(mask_b), cv2.DIST_L2, 5)
    return away_from_b[outline(mask_a) > 0]


class TestApply:
    def test_identity_fits_the_source_into_the_half(self, pair):
        a, b = apply(*pair, AugmentParams(), size=SIZE)
        assert a.shape == b.shape == (SIZE, SIZE, 3) and a.dtype == np.uint8
        assert np.abs(a.astype(int) - cv2.resize(pair[0], (SIZE, SIZE), interpolation=cv2.INTER_AREA)).max() <= 1

    @pytest.mark.parametrize("seed", range(6))
    def test_card_outline_lands_in_the_same_place_in_both_halves(self, pair, seed):
        """The fixture's two cards have one outline: the halves' card masks share their centroid
        (a quarter-pixel shift of B moves it 0.26-0.36 px) and no outline pixel strays."""
        params = draw_params(seed, photo(rotate=25, zoom=0.2, shear=10, shift=0.1))
        a, b = apply(*pair, params, size=SIZE)
        offsets = np.r_[_outline_offsets(card_mask(a), card_mask(b)), _outline_offsets(card_mask(b), card_mask(a))]
        assert offsets.max() <= 1.0
        assert np.linalg.norm(_centroid(card_mask(a)) - _centroid(card_mask(b))) <= 0.1

    @pytest.mark.parametrize("seed", range(6))
    def test_card_lands_where_the_recorded_params_say(self, pair, seed):
        params = draw_params(seed, photo(rotate=25, zoom=0.2, shear=10, shift=0.1, hflip=True, vflip=True))
        out_from_src = out_from_source(params, (SOURCE, SOURCE), SIZE)
        mask = card_mask(apply(*pair, params, size=SIZE)[0])
        expected = geometry.apply_homography(out_from_src, card_centre(SOURCE)[None])[0]
        assert np.linalg.norm(_centroid(mask) - expected) < 0.25  # an affine map carries the centroid exactly
        drawn = np.zeros_like(mask)
        cv2.fillPoly(drawn, [np.round(geometry.apply_homography(out_from_src, card_outline(SOURCE, corner_points=32)) * 16)
                             .astype(np.int32)], 1, shift=4)
        offsets = _outline_offsets(mask, drawn)
        assert np.median(offsets) <= 0.5 and offsets.max() <= 1.5

    def test_angle_turns_clockwise_on_screen(self):
        """A spot right of centre moves down for a positive angle (y points down)."""
        matrix = out_from_source(AugmentParams(angle=90.0), (SIZE, SIZE), SIZE)
        x, y = geometry.apply_homography(matrix, np.array([[SIZE - 1.0, (SIZE - 1) / 2]]))[0]
        assert (x, y) == pytest.approx(((SIZE - 1) / 2, SIZE - 1.0))

    def test_shift_is_a_fraction_of_the_side(self):
        matrix = out_from_source(AugmentParams(tx=0.25, ty=-0.125), (SOURCE, SOURCE), SIZE)
        centre = geometry.apply_homography(matrix, card_centre(SOURCE)[None])[0]
        assert centre == pytest.approx(card_centre(SIZE) + (0.25 * SIZE, -0.125 * SIZE))

    def test_non_square_source_fits_whole_and_centred(self):
        matrix = out_from_source(AugmentParams(), (400, 200), 100)
        corners = geometry.apply_homography(matrix, np.array([[-0.5, -0.5], [199.5, 399.5]]))
        assert corners == pytest.approx(np.array([[24.5, -0.5], [74.5, 99.5]]))

    @pytest.mark.parametrize("border", list(Border))
    def test_uncovered_corners_look_like_the_table_never_black(self, pair, border):
        params = AugmentParams(angle=10.0, scale=0.9)  # uncovers table only, not deep enough to mirror the card
        a, _ = apply(*pair, params, size=SIZE, border=border)
        uncovered = _uncovered(params)
        table = pair[0][card_mask(pair[0]) == 0]
        assert uncovered.sum() > 0.1 * SIZE * SIZE
        assert table.min() - 2 <= a[uncovered].min() and a[uncovered].max() <= table.max() + 2  # table, no black wedge
        if border is Border.SURFACE:
            assert np.abs(a[uncovered].astype(int) - np.median(table, axis=0)).max() <= 3
        white = np.full_like(pair[0], 255)
        assert apply(white, white, params, size=SIZE, border=border)[0].min() == 255  # no dark seam either

    def test_jitter_is_the_same_on_both_halves_by_default(self, pair):
        same = draw_params(2, photo(brightness=0.3, contrast=0.3, saturation=0.3))
        independent = draw_params(2, photo(brightness=0.3, contrast=0.3, saturation=0.3, jitter_independent=True))
        table = card_mask(apply(*pair, same, size=SIZE)[0]) == 0
        a, b = apply(*pair, same, size=SIZE)
        assert np.array_equal(a[table], b[table])  # the same table seen through the same jitter
        a, b = apply(*pair, independent, size=SIZE)
        assert not np.array_equal(a[table], b[table])

    def test_jitter_brightness_contrast_saturation(self):
        grey = np.full((4, 4, 3), 100, np.uint8)
        assert apply_jitter(grey, Jitter(brightness=1.2))[0, 0, 0] == 120
        assert apply_jitter(grey, Jitter(contrast=2.0))[0, 0, 0] == 73  # 127.5 - 2 x 27.5, rounded half up
        red = np.zeros((4, 4, 3), np.uint8)
        red[..., 2] = 200
        assert np.ptp(apply_jitter(red, Jitter(saturation=0.0))[0, 0].astype(int)) <= 1  # fully desaturated
        assert np.array_equal(apply_jitter(red, Jitter()), red)

    def test_pair_of_different_sizes_is_refused(self, pair):
        with pytest.raises(UserError, match="same size"):
            apply(pair[0], pair[1][:-1], AugmentParams())


def _uncovered(params: AugmentParams) -> np.ndarray:
    """Where the output half sees no source pixel."""
    inverse = np.linalg.inv(out_from_source(params, (SOURCE, SOURCE), SIZE))
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    source = geometry.apply_homography(inverse, np.c_[xs.ravel(), ys.ravel()]).reshape(SIZE, SIZE, 2)
    margin = 2.0  # stay clear of the bilinear seam
    return ((source < -margin) | (source > SOURCE - 1 + margin)).any(axis=2)

"""The light and camera effects of augment, and the frame that picks the defaults.

Each effect is checked against exact arithmetic on flat or known images, at strength 0 for
the identity, and on a pair whose halves are the same image: both halves must come out
byte for byte equal, whatever the draw.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep.align import Frame
from cardprep.augment import (
    FRAME_DEFAULTS,
    AugmentConfig,
    AugmentParams,
    Band,
    Camera,
    apply,
    apply_camera,
    band_profile,
    build_dataset,
    draw_params,
    read_manifest,
    remake,
)
from cardprep.augment.functional import side_by_side

from .augment_fixtures import make_pair, write_aligned

CARD = AugmentConfig().for_frame(Frame.CARD)
PHOTO = AugmentConfig().for_frame(Frame.PHOTO)
GEOMETRY = ("rotate", "zoom", "shear", "shift")
EFFECTS = tuple(name for name in FRAME_DEFAULTS[Frame.CARD] if name not in GEOMETRY)
CAMERA_EFFECTS = tuple(name for name in EFFECTS if name not in ("brightness", "contrast", "saturation"))
SIZE = 64


def only(name: str, strength: float | None = None) -> AugmentConfig:
    """The card frame's geometry with one effect at ``strength`` (by default its card default, or
    0.2 where that is off) and every other off."""
    off = {effect: 0 for effect in EFFECTS}
    return AugmentConfig(**{**off, name: (getattr(CARD, name) or 0.2) if strength is None else strength}).for_frame(
        Frame.CARD)


def flat(value: int | tuple[int, int, int], size: int = 32) -> np.ndarray:
    return np.broadcast_to(np.array(value, np.uint8), (size, size, 3)).copy()


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    return make_pair(128, seed=5)


class TestFrameDefaults:
    def test_for_frame_fills_only_what_was_left_unset(self):
        config = AugmentConfig(rotate=7.0, noise=0.0)
        assert not config.resolved and config.for_frame(Frame.CARD).resolved
        card = config.for_frame(Frame.CARD)
        assert (card.rotate, card.noise, card.zoom, card.jpeg) == (7.0, 0.0, 0.05, 60)
        assert card.for_frame(Frame.PHOTO) == card  # resolving twice changes nothing
        assert PHOTO.rotate == 15.0 and PHOTO.jpeg == 0

    def test_an_unresolved_config_does_not_draw(self):
        with pytest.raises(ValueError, match="for_frame"):
            draw_params(0, AugmentConfig())

    @pytest.mark.parametrize("seed", [0, 1, 12345, 2**40 + 3])
    def test_the_photo_frame_draws_exactly_what_it_drew_before_the_card_frame(self, seed):
        """The seed's formulas, written out: the photo frame's datasets stay byte-identical."""
        u = 2.0 * np.random.default_rng(seed).random(14) - 1.0
        params = draw_params(seed, PHOTO)
        assert params == AugmentParams(angle=float(u[0] * 15.0), scale=float(math.exp(u[1] * math.log1p(0.15))),
                                       shear_x=float(u[2] * 8.0), shear_y=float(u[3] * 8.0), tx=float(u[4] * 0.08),
                                       ty=float(u[5] * 0.08))
        assert params.camera.is_identity and params.jitter_a.is_identity

    def test_the_card_frame_draws_small_geometry_and_the_camera(self):
        draws = [draw_params(seed, CARD) for seed in range(200)]
        assert max(abs(d.angle) for d in draws) <= 3 and max(abs(d.tx) for d in draws) <= 0.02
        assert max(abs(math.log(d.scale)) for d in draws) <= math.log(1.05) + 1e-12
        assert not any(d.camera.is_identity for d in draws) and not any(d.jitter_a.is_identity for d in draws)

    def test_switching_the_camera_on_keeps_the_geometry_and_jitter(self):
        off = AugmentConfig(**{name: 0 for name in CAMERA_EFFECTS}).for_frame(Frame.CARD)
        for seed in range(20):
            with_camera, without = draw_params(seed, CARD), draw_params(seed, off)
            assert replace(with_camera, camera=Camera()) == without and without.camera.is_identity


class TestCameraDraw:
    @pytest.mark.parametrize("name", CAMERA_EFFECTS)
    def test_strength_0_draws_the_identity_and_leaves_the_others_alone(self, name):
        for seed in range(30):
            full, off = draw_params(seed, CARD).camera, draw_params(seed, replace(CARD, **{name: 0})).camera
            fields = {"white_balance": ("red_gain", "blue_gain"), "noise": ("noise", "noise_seed"),
                      "jpeg": ("jpeg_quality",)}.get(name, (name,))
            assert off == replace(full, **{f: getattr(Camera(), f) for f in fields})

    def test_values_stay_in_their_ranges(self):
        cameras = [draw_params(seed, CARD).camera for seed in range(400)]
        gains = np.log([[c.red_gain, c.blue_gain] for c in cameras]) / math.log(1.15)
        assert np.abs(gains).max() <= 4 / 3 and np.corrcoef(gains.T)[0, 1] < -0.5  # warmer or cooler mostly
        assert all(1 / 1.25 <= c.gamma <= 1.25 for c in cameras)
        assert all(0 <= c.blur <= 0.006 and 0 <= c.noise <= 6 for c in cameras)
        qualities = [c.jpeg_quality for c in cameras if c.jpeg_quality]
        assert 0.4 < len(qualities) / len(cameras) < 0.6 and min(qualities) <= 45 and max(qualities) == 100
        assert all(40 <= q <= 100 for q in qualities)
        for name, strength in (("shadow", 0.5), ("glare", 0.35)):
            bands = [getattr(c, name) for c in cameras]
            present = [b for b in bands if b.strength]
            assert 0.4 < len(present) / len(bands) < 0.6  # on about half the images
            assert all(b == Band() for b in bands if not b.strength)
            assert max(b.strength for b in present) <= strength and max(b.strength for b in present) > 0.9 * strength
            assert all(0 <= b.angle < 180 and abs(b.offset) <= 0.4 and 0.05 <= b.width < 0.5 and 0.02 <= b.edge < 0.2
                       for b in present)


class TestCameraApply:
    def test_the_identity_returns_the_image_unchanged_as_a_new_array(self, pair):
        out = apply_camera(pair[0], Camera())
        assert np.array_equal(out, pair[0]) and out is not pair[0]

    def test_white_balance_gains_red_and_blue_against_green(self):
        out = apply_camera(flat(100), Camera(red_gain=1.2, blue_gain=0.5))
        assert out[0, 0].tolist() == [50, 100, 120]  # BGR

    def test_gamma_is_a_power_of_the_normalised_value(self):
        out = apply_camera(flat((255, 128, 0)), Camera(gamma=2.0))
        assert out[0, 0].tolist() == [255, round(255 * (128 / 255) ** 2), 0]

    def test_shadow_band_takes_its_share_of_the_light_at_its_centre_only(self):
        band = Band(strength=0.5, angle=0.0, offset=0.0, width=0.2, edge=0.1)
        out = apply_camera(flat(200, 101), Camera(shadow=band))[..., 0].astype(int)
        assert (out[:, 40:61] == 100).all()  # within width/2 = 10.1 px of the centre column
        assert (out[:, :30] == 200).all() and (out[:, 71:] == 200).all()  # beyond width/2 + edge
        assert (np.diff(out[0, 50:72]) >= 0).all()  # fading out monotonically

    def test_glare_band_goes_towards_white(self):
        band = Band(strength=0.5, angle=90.0, offset=0.25, width=0.2, edge=0.05)  # a level band below the centre
        out = apply_camera(flat(100, 101), Camera(glare=band))[..., 1].astype(int)
        assert out[75, 0] == 178 and out[75, 100] == 178  # 100 + 0.5 x 155, rounded half up
        assert out[25, 50] == 100 and out[50, 50] == 100

    def test_band_profile_turns_with_its_angle_and_moves_with_its_offset(self):
        band = Band(strength=1.0, angle=0.0, offset=0.2, width=0.1, edge=0.05)
        upright = band_profile(band, (61, 61))
        assert upright[:, 42].min() == 1.0 and upright[:, 18].max() == 0.0  # centre line at x = 30 + 0.2 x 61
        level = band_profile(replace(band, angle=90.0), (61, 61))
        np.testing.assert_allclose(level, upright.T, atol=1e-6)

    def test_blur_is_a_gaussian_of_sigma_fraction_times_side(self, pair):
        out = apply_camera(pair[0], Camera(blur=0.01))
        expected = cv2.GaussianBlur(pair[0], (0, 0), 0.01 * 128, borderType=cv2.BORDER_REFLECT_101)
        assert np.array_equal(out, expected) and not np.array_equal(out, pair[0])

    def test_noise_has_its_sigma_and_its_seed_fixes_the_field(self):
        grey = flat(128, 128)
        out = apply_camera(grey, Camera(noise=5.0, noise_seed=7)).astype(float)
        assert abs(out.mean() - 128) < 0.1 and abs(out.std() - 5.0) < 0.1
        assert np.array_equal(apply_camera(grey, Camera(noise=5.0, noise_seed=7)), out.astype(np.uint8))
        assert not np.array_equal(apply_camera(grey, Camera(noise=5.0, noise_seed=8)), out.astype(np.uint8))

    def test_jpeg_is_one_round_trip_at_the_drawn_quality(self, pair):
        out = apply_camera(pair[0], Camera(jpeg_quality=30))
        ok, buffer = cv2.imencode(".jpg", pair[0], [cv2.IMWRITE_JPEG_QUALITY, 30])
        assert ok and np.array_equal(out, cv2.imdecode(buffer, cv2.IMREAD_COLOR))
        errors = [np.abs(apply_camera(pair[0], Camera(jpeg_quality=q)).astype(int) - pair[0]).mean() for q in (30, 90)]
        assert errors[0] > errors[1] > 0


class TestBothHalvesAlike:
    @pytest.mark.parametrize("name", EFFECTS)
    def test_each_effect_keeps_equal_halves_equal(self, pair, name):
        changed = []
        for seed in range(6):
            a, b = apply(pair[0], pair[0], draw_params(seed, only(name)), size=SIZE)
            assert np.array_equal(a, b), (name, seed)
            plain = apply(pair[0], pair[0], draw_params(seed, only(name, 0)), size=SIZE)[0]
            changed.append(not np.array_equal(a, plain))
        assert sum(changed) >= 2  # the effect did act (a band is on about half the images, a weak draw may round away)

    def test_all_effects_at_once_keep_equal_halves_equal(self, pair):
        for seed in range(20):
            a, b = apply(pair[0], pair[0], draw_params(seed, CARD), size=SIZE)
            assert np.array_equal(a, b), seed

    def test_the_same_band_falls_on_both_halves(self, pair):
        band = Band(strength=0.6, angle=30.0, offset=0.1, width=0.3, edge=0.1)
        a, b = apply(*pair, AugmentParams(camera=Camera(shadow=band)), size=SIZE)
        plain_a, plain_b = apply(*pair, AugmentParams(), size=SIZE)
        table = (plain_a == plain_b).all(axis=2)  # where A and B show the same table, the shadow is the same
        assert table.mean() > 0.5 and np.array_equal(a[table], b[table])
        assert (a.astype(int) < plain_a).any()


class TestStrengthZeroIsTheIdentity:
    @pytest.mark.parametrize("name", EFFECTS)
    def test_an_effect_at_strength_0_changes_no_pixel(self, pair, name):
        geometry_only = AugmentConfig(**{effect: 0 for effect in EFFECTS}).for_frame(Frame.CARD)
        for seed in range(4):
            off = apply(*pair, draw_params(seed, only(name, 0)), size=SIZE)
            plain = apply(*pair, draw_params(seed, geometry_only), size=SIZE)
            assert all(np.array_equal(x, y) for x, y in zip(off, plain))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def card_folder(tmp_path_factory) -> Path:
    return write_aligned(tmp_path_factory.mktemp("card") / "aligned", ["a", "b", "c"], size=128, frame=Frame.CARD)


class TestCardFrameDatasets:
    def test_a_card_frame_folder_gets_the_card_defaults_and_every_row_remakes(self, card_folder, tmp_path):
        config = AugmentConfig(n_train=12, n_val=4, size=SIZE, seed=2)
        summary = build_dataset(card_folder, tmp_path / "ds", config, workers=1)
        assert summary.frame is Frame.CARD and summary.config == config.for_frame(Frame.CARD) and not summary.warnings
        rows = read_manifest(tmp_path / "ds/manifest.csv")
        for row in rows:
            assert row.params == draw_params(row.seed, config.for_frame(Frame.CARD))
            assert remake(card_folder, row) == (tmp_path / "ds" / row.path).read_bytes(), row.path
        assert {row.params.camera.jpeg_quality > 0 for row in rows} == {True, False}  # remade with and without

    def test_the_files_do_not_depend_on_the_workers(self, card_folder, tmp_path):
        config = AugmentConfig(n_train=40, n_val=8, size=SIZE, seed=4)
        build_dataset(card_folder, tmp_path / "one", config, workers=1)
        build_dataset(card_folder, tmp_path / "two", config, workers=2)
        assert _files(tmp_path / "one") == _files(tmp_path / "two")

    def test_a_photo_frame_folder_gets_geometry_only(self, tmp_path):
        folder = write_aligned(tmp_path / "aligned", ["a", "b"], size=128, frame=Frame.PHOTO)
        summary = build_dataset(folder, tmp_path / "ds", AugmentConfig(n_train=6, n_val=2, size=SIZE), workers=1)
        assert summary.frame is Frame.PHOTO
        assert summary.config == AugmentConfig(n_train=6, n_val=2, size=SIZE).for_frame(Frame.PHOTO)
        for row in read_manifest(tmp_path / "ds/manifest.csv"):
            assert row.params.camera.is_identity and row.params.jitter_a.is_identity
            pair_a, pair_b = (cv2.imread(str(folder / side / f"{row.source}.png")) for side in ("A", "B"))
            plain = apply(pair_a, pair_b, replace(row.params, camera=Camera()), size=SIZE)
            assert (tmp_path / "ds" / row.path).read_bytes() == side_by_side(*plain)  # the warp and the file alone

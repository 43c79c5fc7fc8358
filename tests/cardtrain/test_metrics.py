"""Metrics against known answers and against scikit-image."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from cardtrain.metrics import RED_MARGIN, RED_MIN, ScoreSum, l1, pip_iou, psnr, red_mask, ssim


def _from_unit(rgb: list[float]) -> torch.Tensor:
    """A 1x1 image of this [0, 1] RGB colour, in model space."""
    return torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1) * 2 - 1


def test_l1_and_psnr_known_values() -> None:
    a = torch.zeros(2, 3, 4, 4)
    b = torch.full((2, 3, 4, 4), 0.2)  # 0.1 apart on the [0, 1] scale
    torch.testing.assert_close(l1(a, b), torch.full((2,), 0.2))
    torch.testing.assert_close(psnr(a, b), torch.full((2,), 20.0))  # 10 log10(1 / 0.01)
    assert psnr(a, a)[0] == 100.0


def test_ssim_matches_scikit_image() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((40, 48, 3)).astype(np.float32)
    y = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
    expected = structural_similarity(
        x, y, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    to_model = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None] * 2 - 1  # noqa: E731
    assert ssim(to_model(x), to_model(y)).item() == pytest.approx(expected, abs=1e-4)
    assert ssim(to_model(x), to_model(x)).item() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("rgb", "red"),
    [
        ([0.8, 0.1, 0.15], True),  # card red
        ([0.4, 0.05, 0.05], True),  # red in shadow
        ([RED_MIN, RED_MIN - RED_MARGIN, 0.0], True),  # on both thresholds
        ([0.9, 0.7, 0.6], False),  # skin
        ([0.1, 0.1, 0.1], False),  # black pip
        ([0.95, 0.95, 0.95], False),  # white card
        ([0.3, 0.0, 0.0], False),  # too dark to call
    ],
)
def test_red_mask_thresholds(rgb: list[float], red: bool) -> None:
    assert red_mask(_from_unit(rgb)).item() is red


def test_pip_iou_known_answer() -> None:
    white, red = _from_unit([1, 1, 1]), _from_unit([0.8, 0.1, 0.1])
    source = white.expand(1, 3, 4, 4).clone()
    target, output = source.clone(), source.clone()
    target[..., 0:2, 0:2] = red  # 4 red pixels
    output[..., 0:2, 1:3] = red  # 4 red pixels, 2 shared -> IoU 2 / 6
    assert pip_iou(output, target, source).item() == pytest.approx(1 / 3)
    assert pip_iou(source, source, source).item() == 1.0  # no red anywhere: perfect agreement


def test_pip_iou_ignores_what_was_red_already() -> None:
    """A red table around the card is in the input too: it does not count, for or against."""
    red = _from_unit([0.8, 0.1, 0.1])
    source = _from_unit([0.1, 0.1, 0.1]).expand(1, 3, 4, 4).clone()
    source[..., :, 3:] = red  # a red strip of table
    target, output = source.clone(), source.clone()
    target[..., 0:1, 0:1] = red  # the new pip
    output[..., 0:1, 0:1] = red
    output[..., 3:, 3:] = _from_unit([0.1, 0.1, 0.1])  # a table pixel lost: not a pip matter
    assert pip_iou(output, target, source).item() == 1.0


def test_score_sum_averages_over_images_not_batches() -> None:
    sums = ScoreSum()
    sums.add(torch.zeros(1, 3, 16, 16), torch.full((1, 3, 16, 16), 0.2), torch.zeros(1, 3, 16, 16))  # L1 0.2
    sums.add(torch.zeros(3, 3, 16, 16), torch.zeros(3, 3, 16, 16), torch.zeros(3, 3, 16, 16))  # L1 0
    scores = sums.mean()
    assert scores.images == 4
    assert scores.l1 == pytest.approx(0.05)
    assert math.isnan(ScoreSum().mean().l1)

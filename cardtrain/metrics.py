"""Image-quality metrics of a translated batch against its target, per image.

Inputs are ``(B, 3, H, W)`` float RGB in [-1, 1] (model space); each function returns a
``(B,)`` tensor so callers can average over a whole split exactly. PSNR, SSIM and the red
masks are computed on the [0, 1] scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# A pixel is "red" (a heart or diamond pip, in the card use) when its red channel is at least
# RED_MIN and exceeds both green and blue by at least RED_MARGIN, on the [0, 1] scale. Card
# red (~0.8, 0.1, 0.15) passes with room to spare, shadowed red (0.4, 0.05, 0.05) too; black
# or grey pips, white card, and skin tones (~0.9, 0.7, 0.6) do not.
RED_MIN = 0.35
RED_MARGIN = 0.25

# SSIM as Wang et al. 2004 and skimage's structural_similarity(gaussian_weights=True,
# sigma=1.5, use_sample_covariance=False, data_range=1): an 11x11 Gaussian window, the
# average over the positions where the window fits and over channels.
_SSIM_SIGMA, _SSIM_RADIUS = 1.5, 5
_C1, _C2 = 0.01**2, 0.03**2


@dataclass(frozen=True)
class Scores:
    """Metrics averaged over a split. ``pip_iou``: IoU of the new red (see :func:`pip_iou`)."""

    l1: float
    psnr: float
    ssim: float
    pip_iou: float
    images: int

    def as_dict(self) -> dict[str, float | int]:
        return {"l1": self.l1, "psnr": self.psnr, "ssim": self.ssim, "pip_iou": self.pip_iou, "images": self.images}


def _unit(x: torch.Tensor) -> torch.Tensor:
    return (x.float().clamp(-1, 1) + 1) / 2


def l1(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error in model space ([-1, 1]), the training loss's scale."""
    return (output.float() - target.float()).abs().flatten(1).mean(1)


def psnr(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB on [0, 1]; identical images are capped at 100 dB."""
    mse = (_unit(output) - _unit(target)).square().flatten(1).mean(1)
    return 10 * torch.log10(1 / mse.clamp_min(1e-10))


def _gaussian_window(device: torch.device) -> torch.Tensor:
    x = torch.arange(-_SSIM_RADIUS, _SSIM_RADIUS + 1, dtype=torch.float32, device=device)
    g = torch.exp(-(x**2) / (2 * _SSIM_SIGMA**2))
    return g / g.sum()


def ssim(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Structural similarity on [0, 1], mean over valid window positions and channels."""
    x, y = _unit(output), _unit(target)
    channels = x.shape[1]
    g = _gaussian_window(x.device)
    kx = g.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)  # separable: rows, then columns
    ky = g.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(t, kx, groups=channels), ky, groups=channels)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + _C1) * (2 * cxy + _C2)) / ((mx * mx + my * my + _C1) * (vx + vy + _C2))
    return s.flatten(1).mean(1)


def red_mask(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [-1, 1] -> (B, H, W) bool: the pixels that are clearly red."""
    r, g, b = _unit(images).unbind(1)
    return (r >= RED_MIN) & (r - torch.maximum(g, b) >= RED_MARGIN)


def pip_iou(output: torch.Tensor, target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """IoU of what turned red: pixels red in the output (resp. target) but not in the source.

    Leaving out what was red already keeps a red table or a red card back out of the score,
    which is then about the pips alone. 1 where neither output nor target has new red.
    """
    already = red_mask(source).flatten(1)
    p, t = red_mask(output).flatten(1) & ~already, red_mask(target).flatten(1) & ~already
    inter = (p & t).sum(1).float()
    union = (p | t).sum(1).float()
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))


class ScoreSum:
    """Accumulates per-image metrics over batches; :meth:`mean` gives the split's :class:`Scores`."""

    def __init__(self) -> None:
        self._sums = {"l1": 0.0, "psnr": 0.0, "ssim": 0.0, "pip_iou": 0.0}
        self._n = 0

    def add(self, output: torch.Tensor, target: torch.Tensor, source: torch.Tensor) -> None:
        """A batch of outputs, their targets, and the inputs they were made from."""
        for name, fn in (("l1", l1), ("psnr", psnr), ("ssim", ssim)):
            self._sums[name] += float(fn(output, target).sum())
        self._sums["pip_iou"] += float(pip_iou(output, target, source).sum())
        self._n += output.shape[0]

    def mean(self) -> Scores:
        if self._n == 0:
            return Scores(math.nan, math.nan, math.nan, math.nan, 0)
        return Scores(**{k: v / self._n for k, v in self._sums.items()}, images=self._n)

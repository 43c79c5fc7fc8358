"""pix2pix networks: the U-Net generator and the PatchGAN discriminator (Isola et al. 2017).

Both take and return ``(B, C, H, W)`` tensors; images are RGB in [-1, 1]. A convolution has
a bias only where no normalisation follows it (a bias before a norm is cancelled by it).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from cardtrain.config import Norm, TrainConfig


def norm_layer(kind: Norm, channels: int) -> nn.Module:
    """Batch norm (the paper's) or affine instance norm (per image, so batch-size independent)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=True)


class UNet(nn.Module):
    """U-Net generator: ``depth`` stride-2 encoder blocks, mirrored decoder, skip connections.

    With ``depth=8`` and 256 px input the bottleneck is 1x1x(8 ngf), as in the paper. Encoder
    block i halves the resolution; decoder block i doubles it and is concatenated with encoder
    block i-1's output. The bottleneck has no norm: statistics of a 1x1 map erase the signal.
    Dropout acts in the three innermost decoder blocks (the paper's noise source).
    """

    def __init__(self, *, ngf: int = 64, depth: int = 8, norm: Norm = "batch", dropout: float = 0.5) -> None:
        super().__init__()
        widths = [ngf * min(2**i, 8) for i in range(depth)]  # 64, 128, 256, 512, 512, ...
        self.down = nn.ModuleList()
        for i, width in enumerate(widths):
            outermost, innermost = i == 0, i == depth - 1
            layers: list[nn.Module] = [] if outermost else [nn.LeakyReLU(0.2)]
            plain = outermost or innermost
            layers.append(nn.Conv2d(3 if outermost else widths[i - 1], width, 4, 2, 1, bias=plain))
            if not plain:
                layers.append(norm_layer(norm, width))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            in_ch = widths[i] if i == depth - 1 else 2 * widths[i]  # skip concatenated below the bottleneck
            out_ch = 3 if i == 0 else widths[i - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(in_ch, out_ch, 4, 2, 1, bias=i == 0)]
            if i == 0:
                layers.append(nn.Tanh())
            else:
                layers.append(norm_layer(norm, out_ch))
                if i >= depth - 3 and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)  # (B, widths[i], H / 2**(i+1), W / 2**(i+1))
            skips.append(x)
        skips.pop()  # the bottleneck itself is not concatenated
        for block in self.up:
            x = block(x)
            if skips:
                x = torch.cat([x, skips.pop()], dim=1)
        return x  # (B, 3, H, W) in [-1, 1]


class PatchGAN(nn.Module):
    """Conditional PatchGAN: scores overlapping patches of the (input, image) pair as real or not.

    ``layers`` stride-2 blocks then two stride-1 4x4 convolutions; with 3 a score's receptive
    field is 70x70 pixels and a 256 px pair gives a (B, 1, 30, 30) map of logits.
    """

    def __init__(self, *, ndf: int = 64, layers: int = 3, norm: Norm = "batch") -> None:
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(6, ndf, 4, 2, 1, bias=True), nn.LeakyReLU(0.2)]
        width = ndf
        for i in range(1, layers + 1):
            out = ndf * min(2**i, 8)
            stride = 2 if i < layers else 1
            blocks += [nn.Conv2d(width, out, 4, stride, 1, bias=False), norm_layer(norm, out), nn.LeakyReLU(0.2)]
            width = out
        blocks.append(nn.Conv2d(width, 1, 4, 1, 1, bias=True))
        self.net = nn.Sequential(*blocks)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, image], dim=1))  # (B, 1, h, w) logits


def init_weights(model: nn.Module, generator: torch.Generator) -> None:
    """The paper's init: convolutions N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            with torch.no_grad():
                module.weight.normal_(0.0, 0.02, generator=generator)
        elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.weight is not None:
            with torch.no_grad():
                module.weight.normal_(1.0, 0.02, generator=generator)
        bias = getattr(module, "bias", None)
        if isinstance(bias, torch.Tensor):
            nn.init.zeros_(bias)


def build_generator(config: TrainConfig) -> UNet:
    return UNet(ngf=config.ngf, depth=config.depth, norm=config.norm, dropout=config.dropout)


def build_discriminator(config: TrainConfig) -> PatchGAN:
    return PatchGAN(ndf=config.ndf, layers=config.d_layers, norm=config.norm)


def count_parameters(model: nn.Module, *, with_norm_stats: bool = False) -> int:
    """Trainable parameters; ``with_norm_stats`` adds batch-norm running means and variances,
    which is how Keras' ``summary()`` (the seed's figures) counts its "Total params"."""
    total = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if with_norm_stats:
        total += sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    return total

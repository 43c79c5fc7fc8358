"""The networks: shapes, the seed's parameter counts, where dropout acts, init, receptive field."""

from __future__ import annotations

import torch
import torch.nn as nn

from cardtrain.config import CPU_DEMO, SEED
from cardtrain.models import PatchGAN, UNet, build_discriminator, build_generator, count_parameters, init_weights

# The seed's Keras summaries (TensorFlow pix2pix tutorial), "Total params" (weights + batch-norm
# moving statistics). Ours differ by design in two places, both counted exactly below.
SEED_GENERATOR_TOTAL = 54_425_859
SEED_DISCRIMINATOR_TOTAL = 2_770_433


class TestParameterCounts:
    def test_generator_matches_the_seed(self) -> None:
        g = build_generator(SEED)
        # The seed normalises the 1x1 bottleneck (-512 scales, -512 shifts, -1024 moving
        # stats here: its statistics over one value erase it) and has no bias on the first
        # and bottleneck convolutions (+64, +512 here: nothing follows them to absorb one).
        assert count_parameters(g, with_norm_stats=True) == SEED_GENERATOR_TOTAL - 2048 + 576
        assert abs(count_parameters(g) - 54.41e6) < 0.01e6

    def test_discriminator_matches_the_seed(self) -> None:
        d = build_discriminator(SEED)
        assert count_parameters(d, with_norm_stats=True) == SEED_DISCRIMINATOR_TOTAL + 64  # first conv's bias
        assert abs(count_parameters(d) - 2.77e6) < 0.01e6


class TestShapes:
    def test_unet_256_keeps_the_size_and_range(self) -> None:
        g = UNet(ngf=8, depth=8)
        x = torch.rand(2, 3, 256, 256) * 2 - 1
        y = g(x)
        assert y.shape == x.shape
        assert y.abs().max() <= 1

    def test_unet_bottleneck_is_1x1(self) -> None:
        g = UNet(ngf=8, depth=7)
        seen = []
        g.down[-1].register_forward_hook(lambda m, i, o: seen.append(o.shape))
        g(torch.zeros(1, 3, 128, 128))
        assert seen == [torch.Size([1, 64, 1, 1])]

    def test_patchgan_gives_30x30_logits_at_256(self) -> None:
        d = PatchGAN(ndf=8, layers=3)
        assert d(torch.zeros(2, 3, 256, 256), torch.zeros(2, 3, 256, 256)).shape == (2, 1, 30, 30)

    def test_cpu_demo_models_run_at_128(self) -> None:
        g, d = build_generator(CPU_DEMO), build_discriminator(CPU_DEMO)
        x = torch.zeros(1, 3, 128, 128)
        assert g(x).shape == x.shape
        assert d(x, x).shape[1] == 1


def test_patchgan_receptive_field_is_70_pixels() -> None:
    """The gradient of one centre logit reaches exactly a 70x70 window of the input."""
    d = PatchGAN(ndf=4, layers=3, norm="batch").eval()  # running stats: a local operation
    nn.init.constant_(d.net[-1].weight, 1.0)  # every path contributes
    x = torch.rand(1, 3, 128, 128, requires_grad=True)
    out = d(x, torch.rand(1, 3, 128, 128))
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = x.grad.abs().sum((0, 1, 3)).nonzero()
    cols = x.grad.abs().sum((0, 1, 2)).nonzero()
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


def test_dropout_acts_in_the_three_innermost_decoder_blocks_only() -> None:
    g = UNet(ngf=8, depth=8)
    with_dropout = [i for i, block in enumerate(g.up) if any(isinstance(m, nn.Dropout) for m in block)]
    assert with_dropout == [0, 1, 2]  # g.up runs from the bottleneck outwards


def test_eval_mode_is_deterministic_and_train_mode_is_not() -> None:
    torch.manual_seed(0)
    g = UNet(ngf=8, depth=5)
    x = torch.rand(1, 3, 32, 32)
    assert not torch.equal(g(x), g(x))  # dropout
    g.eval()
    assert torch.equal(g(x), g(x))


def test_init_is_seeded_and_follows_the_paper() -> None:
    a, b = UNet(ngf=16, depth=5), UNet(ngf=16, depth=5)
    init_weights(a, torch.Generator().manual_seed(3))
    init_weights(b, torch.Generator().manual_seed(3))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    conv = a.up[1][1].weight
    assert abs(conv.std().item() - 0.02) < 0.002 and abs(conv.mean().item()) < 0.002
    norm = a.up[1][2].weight
    assert abs(norm.mean().item() - 1.0) < 0.01

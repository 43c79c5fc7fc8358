"""The objective and its wiring against known numbers: the losses, one GAN step, and the
validation scorer (input, target and output each in its place)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from cardtrain.evaluate import sample_grid, score_pairs
from cardtrain.gan import STATE_KEYS, GanStep
from cardtrain.losses import discriminator_loss, generator_losses
from tests.cardtrain.conftest import TINY

CPU = torch.device("cpu")


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


class TestLossValues:
    def test_discriminator_loss(self) -> None:
        """0.5 (BCE(real, 1) + BCE(fake, 0)); BCE(x, 1) = softplus(-x), BCE(x, 0) = softplus(x)."""
        real, fake = torch.tensor([[2.0, -1.0]]), torch.tensor([[0.5, -3.0]])
        expected = 0.5 * ((softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2)
        assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)
        assert discriminator_loss(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(math.log(2))
        sure = discriminator_loss(torch.full((4,), 20.0), torch.full((4,), -20.0)).item()
        assert sure < 1e-8  # real called real, fake called fake: nothing to learn

    def test_generator_losses(self) -> None:
        """G's GAN term wants D to call its output real (target 1): low for a positive logit."""
        logits = torch.tensor([[1.5, -0.5]])
        fake = torch.tensor([[0.0, 0.5, -1.0, 1.0]])
        target = torch.tensor([[0.5, 0.5, 0.0, 0.0]])  # |diff| 0.5, 0, 1, 1 -> mean 0.625
        total, gan, l1 = generator_losses(logits, fake, target, l1_weight=100.0)
        assert gan.item() == pytest.approx((softplus(-1.5) + softplus(0.5)) / 2, rel=1e-6)
        assert l1.item() == pytest.approx(0.625)  # on [-1, 1], the scale of val L1
        assert total.item() == pytest.approx(gan.item() + 62.5, rel=1e-6)
        fooled = generator_losses(torch.full((4,), 20.0), fake, fake, l1_weight=100.0)[0].item()
        assert fooled < 1e-8

    def test_bf16_logits_are_scored_in_fp32(self) -> None:
        logits = torch.tensor([3.0, -2.0], dtype=torch.bfloat16)
        expected = discriminator_loss(logits.float(), -logits.float())
        assert discriminator_loss(logits, -logits).dtype == torch.float32
        assert discriminator_loss(logits, -logits).item() == pytest.approx(expected.item())


def test_one_gan_step_updates_d_then_g_against_the_new_d() -> None:
    """train_step's losses, recomputed by hand: D on (input, target) vs (input, G(input)) with
    the weights before the step; G's GAN term against the D after its update."""
    config = TINY.override(dropout=0.0, load_size=32, flip=False)
    gan = GanStep(config, CPU)
    before_g, before_d = copy.deepcopy(gan.generator), copy.deepcopy(gan.discriminator)
    rng = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(2, 3, 32, 32, generator=rng) * 2 - 1 for _ in range(2))
    loss_d, loss_gan, loss_l1 = gan.train_step(real_a, real_b).tolist()

    with torch.no_grad():
        fake_b = before_g(real_a)
        assert loss_d == pytest.approx(discriminator_loss(before_d(real_a, real_b), before_d(real_a, fake_b)).item())
        expected_gan = generator_losses(gan.discriminator(real_a, fake_b), fake_b, real_b, l1_weight=100.0)[1]
        assert loss_gan == pytest.approx(expected_gan.item(), rel=1e-5)
        assert loss_l1 == pytest.approx((fake_b - real_b).abs().mean().item(), rel=1e-6)
    for net, old in ((gan.generator, before_g), (gan.discriminator, before_d)):
        assert any(not torch.equal(p, q) for p, q in zip(net.parameters(), old.parameters()))  # both updated


def test_gan_state_round_trip(tmp_path: Path) -> None:
    gan, other = GanStep(TINY, CPU), GanStep(TINY.override(seed=1), CPU)
    gan.train_step(torch.zeros(2, 3, 32, 32), torch.ones(2, 3, 32, 32))
    state = gan.state_dict()
    assert tuple(state) == STATE_KEYS
    other.load_state_dict(state, path=tmp_path / "x.pt")
    for a, b in zip(gan.generator.state_dict().values(), other.generator.state_dict().values()):
        assert torch.equal(a, b)
    assert other.opt_g.state_dict()["state"][0]["exp_avg"].equal(state["opt_g"]["state"][0]["exp_avg"])


class Identity(nn.Module):
    """A 'generator' that returns its input: its scores are those of the input itself."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_the_scorer_compares_the_output_of_the_input_with_the_target() -> None:
    """Swapping input and target in the scorer would make this identity perfect (L1 0)."""
    pairs = torch.zeros(3, 6, 16, 16, dtype=torch.uint8)  # 16 px: SSIM's window is 11
    pairs[:, :3] = 255  # input: white (1 in model space)
    pairs[:, 3:] = torch.tensor([255, 0, 0], dtype=torch.uint8).view(1, 3, 1, 1)  # target: red
    pairs[:, 3:, :8] = 255  # the top half of the target white as well
    scores, outputs = score_pairs(Identity(), pairs, batch_size=2, device=CPU, precision="fp32", keep=2)
    # The bottom half differs in G and B by 2 (1 vs -1): L1 = (2 + 2) / 3 channels / 2 halves.
    assert scores.l1 == pytest.approx(2 / 3)
    assert scores.pip_iou == 0.0  # the target turned red, the output did not
    assert scores.images == 3
    assert torch.equal(outputs, torch.ones(2, 3, 16, 16))  # outputs are the input's translation
    grid = sample_grid(pairs, outputs)  # input | target | output, BGR
    assert grid[12, 0].tolist() == [255, 255, 255] and grid[12, 16].tolist() == [0, 0, 255]
    assert grid[12, 32].tolist() == [255, 255, 255]

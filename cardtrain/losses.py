"""The pix2pix objective: vanilla (cross-entropy) GAN loss on logits, plus weighted L1.

Losses take the discriminator's raw logits: ``binary_cross_entropy_with_logits`` is stable
and autocast-safe, where a sigmoid followed by BCE is neither.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Real pairs towards 1, generated pairs towards 0; halved as in the paper, so D learns
    slower than G."""
    real = F.binary_cross_entropy_with_logits(real_logits.float(), torch.ones_like(real_logits, dtype=torch.float32))
    fake = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits, dtype=torch.float32))
    return 0.5 * (real + fake)


def generator_losses(
    fake_logits: torch.Tensor, fake: torch.Tensor, target: torch.Tensor, *, l1_weight: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(total, adversarial, L1): G wants D to call its output real and to stay near the target."""
    adversarial = F.binary_cross_entropy_with_logits(
        fake_logits.float(), torch.ones_like(fake_logits, dtype=torch.float32)
    )
    l1 = F.l1_loss(fake.float(), target.float())
    return adversarial + l1_weight * l1, adversarial, l1

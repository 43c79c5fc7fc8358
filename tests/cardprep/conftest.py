"""Shared helpers: small simulated pairs with their exact truth."""

from __future__ import annotations

import numpy as np

from cardprep.sim.photos import SimConfig, SimPair, simulate_pair

SMALL = SimConfig(size=(800, 600))


def make_pair(rank: str, seed: int, *, upside_down: bool = False, config: SimConfig = SMALL) -> SimPair:
    return simulate_pair(rank, np.random.default_rng(seed), config, upside_down=upside_down)

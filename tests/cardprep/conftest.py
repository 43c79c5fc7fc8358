"""Shared fixtures: small simulated pairs with their exact truth."""

from __future__ import annotations

import numpy as np
import pytest

from cardprep.sim.photos import SimConfig, SimPair, simulate_pair

SMALL = SimConfig(size=(800, 600))


def make_pair(rank: str, seed: int, *, upside_down: bool = False, config: SimConfig = SMALL) -> SimPair:
    return simulate_pair(rank, np.random.default_rng(seed), config, upside_down=upside_down)


@pytest.fixture(scope="session")
def flipped_seven() -> SimPair:
    """A 7 (its layout is not symmetric) whose heart card lay upside down."""
    return make_pair("7", 7, upside_down=True)


@pytest.fixture(scope="session")
def upright_three() -> SimPair:
    return make_pair("3", 3)

"""A shared synthetic population: generated once, read by many tests."""

from __future__ import annotations

import pytest

from hub.synth import SyntheticChild, iter_children

POPULATION_SEED = 20_240_901
POPULATION_SIZE = 2_000


@pytest.fixture(scope="session")
def population() -> list[SyntheticChild]:
    return list(iter_children(POPULATION_SEED, POPULATION_SIZE))

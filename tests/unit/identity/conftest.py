"""Shared helpers: a synthetic identity to vary, profiles, and a small synthetic population."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.identity import Profile, build_profile
from hub.synth import SyntheticChild, iter_children

POPULATION_SEED = 20_261_130
POPULATION_SIZE = 300

# A made-up child (synthetic names only); tests override single fields.
BASE: dict[str, Any] = {
    "first_name": "María",
    "middle_name": "Guadalupe",
    "last_name_1": "de la Cruz",
    "last_name_2": "Hernández",
    "sex": "Female",
    "birth_date": "2014-03-07",
    "multiple_birth": False,
    "birth_city": "Weslaco",
    "birth_state": "TX",
    "birth_country": "USA",
    "parents": [
        {"first_name": "Jorge", "last_name": "de la Cruz Pérez", "phone": "9565550101"},
        {"first_name": "Rocío", "last_name": "Hernández"},
    ],
}

MakeProfile = Callable[..., Profile]


def make_identity(**changes: Any) -> dict[str, Any]:
    identity = {**BASE, **changes}
    return {key: value for key, value in identity.items() if value is not None}


@pytest.fixture
def profile() -> MakeProfile:
    """profile(state="TX", sid="1", **identity changes) → a Profile of BASE with the changes."""

    def build(state: str = "TX", sid: str = "TX0000000001", **changes: Any) -> Profile:
        return build_profile(make_identity(**changes), state=state, state_student_id=sid)

    return build


@pytest.fixture(scope="session")
def population() -> list[SyntheticChild]:
    return list(iter_children(POPULATION_SEED, POPULATION_SIZE))


@pytest.fixture(scope="session")
def population_records(population: list[SyntheticChild]) -> list[tuple[Profile, str, str]]:
    """(profile, true child id, family id) of children with 2-5 state records, in state order."""
    rows = [
        (
            build_profile(
                emitted.record.identity,
                state=emitted.record.student_id.state,
                state_student_id=emitted.record.student_id.value,
            ),
            child.child_id,
            child.family_id,
        )
        for child in population
        if 2 <= len(child.records) <= 5
        for emitted in child.records
    ]
    # Records arrive state file by state file, as submissions do.
    return sorted(rows, key=lambda row: (row[0].state or "", row[0].state_student_id or ""))

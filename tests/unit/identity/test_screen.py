"""The candidate screen gives exactly the scores `decide` would compute, pair by pair."""

from __future__ import annotations

import pytest

from hub.identity import (
    ChildCandidate,
    InMemoryLinker,
    LinkedRecord,
    Profile,
    blocking_keys,
    decide,
    load_model,
)
from hub.identity import screen as screen_module
from hub.identity.screen import UNSHARED_FIELDS, CandidateScreen
from tests.unit.identity.conftest import MakeProfile

MODEL = load_model()
CHECKED_RECORDS = 160  # each against every earlier one: about 12,700 pairs


@pytest.mark.parametrize("floor", [MODEL.zones.review, MODEL.zones.link, -1_000.0])
def test_screen_scores_equal_pair_by_pair_scores(
    population_records: list[tuple[Profile, str, str]],
    floor: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Revise the evaluation order early and often (at 8, 16, 32... rows): scores must not move.
    monkeypatch.setattr(screen_module, "_FIRST_REORDER", 8)
    # And a memo small enough to be halved many times over: forgotten levels are recomputed.
    monkeypatch.setattr(screen_module, "MEMO_LIMIT", 64)
    screen = CandidateScreen(MODEL)
    profiles = [profile for profile, _, _ in population_records[:CHECKED_RECORDS]]
    for at, profile in enumerate(profiles):
        codes = screen.encode(profile)
        rows = list(range(at))
        found = screen.scores(profile, codes, rows, profiles.__getitem__, floor)
        expected = {
            row: score
            for row in rows
            if (score := MODEL.score_at_least(profile, profiles[row], floor)) is not None
        }
        assert found == expected
        assert screen.add(profile, codes) == at


def test_screen_keeps_ids_and_phones_out_of_its_codes() -> None:
    coded = {
        comparison.name
        for comparison in MODEL.comparisons.comparisons
        if not UNSHARED_FIELDS.intersection(comparison.fields)
    }
    assert "state_ids" not in coded
    assert "parent_contacts" not in coded
    assert {"first_name", "surname", "birth_date", "parents"} <= coded


def test_linker_decides_as_decide_does_without_the_screen(
    population_records: list[tuple[Profile, str, str]],
) -> None:
    linker = InMemoryLinker(MODEL)
    for profile, _, _ in population_records:
        candidates = [
            ChildCandidate(
                str(child),
                tuple(
                    LinkedRecord(p.state or "", p.state_student_id or "", p)
                    for p in (linker.profiles[row] for row in linker.children[child])
                ),
            )
            for child in sorted(linker.index.candidates(blocking_keys(profile)))
        ]
        unscreened = decide(profile, candidates, MODEL)
        screened = linker.add(profile).decision
        assert (screened.zone, screened.msix_id, screened.guards) == (
            unscreened.zone,
            unscreened.msix_id,
            unscreened.guards,
        )
        assert screened.candidates == unscreened.candidates


# A pair sharing a gate value (a state id, a parent's phone) may reach the gate level's weight;
# the screen must allow it, so at a floor equal to the exact total the pair is still kept.
GATE_CASES: list[tuple[str, dict[str, object]]] = [
    ("shares an alternate state id", {"alternate_ids": [{"state": "TX", "value": "TX1"}]}),
    ("shares a parent's phone", {"first_name": "Sofía", "birth_date": "2011-10-02"}),
    (
        "shares nothing",
        {"first_name": "Sofía", "birth_date": "2011-10-02", "parents": [{"first_name": "Ana"}]},
    ),
]


@pytest.mark.parametrize(("case", "changes"), GATE_CASES, ids=[c for c, _ in GATE_CASES])
def test_screen_keeps_a_pair_whose_total_reaches_the_floor_through_a_gate(
    profile: MakeProfile, case: str, changes: dict[str, object]
) -> None:
    screen = CandidateScreen(MODEL)
    known = profile(state="TX", sid="TX1")
    screen.add(known, screen.encode(known))
    incoming = profile(state="WA", sid="WA1", **changes)
    exact = MODEL.score(incoming, known)
    found = screen.scores(incoming, screen.encode(incoming), [0], [known].__getitem__, exact.total)
    assert found == {0: exact}, case

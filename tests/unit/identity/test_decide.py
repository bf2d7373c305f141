from __future__ import annotations

import json

import pytest

from hub.identity import (
    ChildCandidate,
    Decision,
    Guard,
    LinkedRecord,
    Profile,
    Zone,
    decide,
    load_model,
)
from tests.unit.identity.conftest import MakeProfile

MODEL = load_model()


def child(msix_id: str, *profiles: Profile) -> ChildCandidate:
    return ChildCandidate(
        msix_id,
        tuple(LinkedRecord(p.state or "", p.state_student_id or "", p) for p in profiles),
    )


def test_no_candidates_makes_a_new_child(profile: MakeProfile) -> None:
    decision = decide(profile(), [], MODEL)
    assert decision.zone is Zone.NEW
    assert decision.msix_id is None


def test_same_child_from_another_state_links(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    incoming = profile(
        state="WA", sid="WA1", first_name="Lupe", middle_name=None, last_name_1="Delacruz",
        last_name_2=None, birth_date="2014-07-03",
    )  # fmt: skip
    decision = decide(incoming, [known], MODEL)
    assert decision.zone is Zone.LINK
    assert decision.msix_id == "100000000001"
    assert not decision.guards


def test_a_stranger_is_a_new_child(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    stranger = profile(
        state="WA", sid="WA1", first_name="Sofía", middle_name=None, last_name_1="Ramos",
        last_name_2="Luna", birth_date="2011-10-02", birth_city="Pharr", parents=[],
    )  # fmt: skip
    assert decide(stranger, [known], MODEL).zone is Zone.NEW


@pytest.mark.parametrize("flagged", [True, False])
def test_twin_is_never_auto_linked(profile: MakeProfile, flagged: bool) -> None:
    # Same surnames, parents, birth date and place; only the given name and sex differ.
    sister = profile(state="TX", sid="TX1", multiple_birth=flagged)
    brother = profile(
        state="WA", sid="WA1", first_name="José", middle_name="Ángel", sex="Male",
        multiple_birth=flagged,
    )  # fmt: skip
    decision = decide(brother, [child("100000000001", sister)], MODEL)
    assert decision.zone is not Zone.LINK
    if decision.zone is Zone.REVIEW:
        assert Guard.TWIN_OR_SIBLING in decision.guards


def test_twin_sharing_a_devotional_first_name_is_not_auto_linked(profile: MakeProfile) -> None:
    sister = profile(state="TX", sid="TX1", middle_name="Fernanda", multiple_birth=True)
    twin = profile(state="WA", sid="WA1", middle_name=None, multiple_birth=True)
    decision = decide(twin, [child("100000000001", sister)], MODEL)
    assert decision.zone is not Zone.LINK


def test_twin_known_to_the_hub_turns_a_partial_name_match_into_review(
    profile: MakeProfile,
) -> None:
    guadalupe = child("100000000001", profile(state="TX", sid="TX1"))
    fernanda = child("100000000002", profile(state="TX", sid="TX2", middle_name="Fernanda"))
    only_maria = profile(state="WA", sid="WA1", middle_name=None)
    decision = decide(only_maria, [guadalupe, fernanda], MODEL)
    assert decision.zone is Zone.REVIEW


def test_conflicting_id_from_the_same_state_blocks_an_auto_link(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    decision = decide(profile(state="TX", sid="TX2"), [known], MODEL)
    assert decision.zone is Zone.REVIEW
    assert Guard.SAME_STATE_CONFLICT in decision.guards


def test_shared_alternate_id_from_the_same_state_is_no_conflict(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    again = profile(state="TX", sid="TX2", alternate_ids=[{"state": "TX", "value": "TX1"}])
    decision = decide(again, [known], MODEL)
    assert decision.zone is Zone.LINK


@pytest.mark.parametrize("placeholder", ["BABY GIRL", "TWIN A", "UNKNOWN"])
def test_placeholder_name_never_auto_links(profile: MakeProfile, placeholder: str) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    baby = profile(state="WA", sid="WA1", first_name=placeholder, middle_name=None)
    assert decide(baby, [known], MODEL).zone is not Zone.LINK
    # Nor does a placeholder already linked decide for a newcomer.
    placeholder_child = child("100000000002", baby)
    assert decide(profile(state="FL", sid="FL1"), [placeholder_child], MODEL).zone is not Zone.LINK


def test_placeholder_birth_date_adds_no_weight(profile: MakeProfile) -> None:
    known = profile(state="TX", sid="TX1", birth_date="2014-01-01")
    other = profile(state="WA", sid="WA1", birth_date="2014-01-01")
    score = MODEL.score(known, other)
    birth = [c.name for c in MODEL.comparisons.comparisons].index("birth_date")
    assert score.weights[birth] == 0.0


def test_two_children_in_the_link_zone_are_ambiguous(profile: MakeProfile) -> None:
    first = child("100000000001", profile(state="TX", sid="TX1"))
    second = child("100000000002", profile(state="FL", sid="FL1"))
    decision = decide(profile(state="WA", sid="WA1"), [first, second], MODEL)
    assert decision.zone is Zone.REVIEW
    assert Guard.AMBIGUOUS in decision.guards


def test_best_linked_record_decides_for_the_child(profile: MakeProfile) -> None:
    stale = profile(
        state="TX", sid="TX1", first_name="Paola", middle_name=None, birth_date="2010-05-05"
    )
    good = profile(state="FL", sid="FL1")
    decision = decide(profile(state="WA", sid="WA1"), [child("100000000001", stale, good)], MODEL)
    assert decision.zone is Zone.LINK
    assert decision.candidates[0].record == ("FL", "FL1")


def test_inactive_records_are_not_compared(profile: MakeProfile) -> None:
    record = profile(state="TX", sid="TX1")
    retired = ChildCandidate("100000000001", (LinkedRecord("TX", "TX1", record, active=False),))
    assert decide(profile(state="WA", sid="WA1"), [retired], MODEL).zone is Zone.NEW


def test_decision_explains_every_comparison_as_json(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    decision = decide(profile(state="TX", sid="TX2"), [known], MODEL)
    payload = json.loads(json.dumps(decision.to_json()))
    assert payload["zone"] == "review"
    assert payload["guards"] == [Guard.SAME_STATE_CONFLICT]
    candidate = payload["candidates"][0]
    assert candidate["matched_record"] == {"state": "TX", "state_student_id": "TX1"}
    names = [c["comparison"] for c in candidate["comparisons"]]
    assert names == [c.name for c in MODEL.comparisons.comparisons]
    assert sum(c["weight"] for c in candidate["comparisons"]) == pytest.approx(
        candidate["total"] - MODEL.prior_weight, abs=0.05
    )
    assert payload["thresholds"] == {"link": MODEL.zones.link, "review": MODEL.zones.review}


# Twins told apart by the middle name only: María Daniela and Daniela Guadalupe both answer to
# Daniela. (flag on each side, middle names, whether an auto-link is allowed)
MIDDLE_NAME_CASES: list[tuple[bool | None, str | None, str | None, bool]] = [
    (True, "Fernanda", "Sofía", False),  # flagged twins, middle names disagree: review
    (True, "Fernanda", None, True),  # a missing middle name is no disagreement
    (True, "Fernanda", "Fernanda", True),  # the same twin again
    (False, "Fernanda", "Sofía", True),  # no twin context: the middle name is weak evidence
    (None, "Fernanda", "Sofía", True),
]


@pytest.mark.parametrize(("flagged", "known", "incoming", "may_link"), MIDDLE_NAME_CASES)
def test_middle_name_disagreement_counts_as_a_different_given_name_for_twins(
    profile: MakeProfile,
    flagged: bool | None,
    known: str | None,
    incoming: str | None,
    may_link: bool,
) -> None:
    first = child(
        "100000000001",
        profile(
            state="TX", sid="TX1", first_name="Daniela", middle_name=known, multiple_birth=flagged
        ),
    )
    record = profile(
        state="WA", sid="WA1", first_name="Daniela", middle_name=incoming, multiple_birth=flagged
    )
    _linked_unless_twin_guarded(decide(record, [first], MODEL), may_link=may_link)


def test_candidates_below_the_review_band_are_not_shown(profile: MakeProfile) -> None:
    known = child("100000000001", profile(state="TX", sid="TX1"))
    stranger = profile(
        state="WA", sid="WA1", first_name="Sofía", middle_name=None, last_name_1="Ramos",
        last_name_2="Luna", birth_date="2011-10-02", birth_city="Pharr", parents=[],
    )  # fmt: skip
    decision = decide(stranger, [known], MODEL)
    assert decision.zone is Zone.NEW
    assert decision.candidates == ()
    assert decision.total is None


def test_scores_given_with_the_candidate_are_used_as_they_are(profile: MakeProfile) -> None:
    record = profile(state="TX", sid="TX1")
    incoming = profile(state="WA", sid="WA1")
    linked = (LinkedRecord("TX", "TX1", record),)
    # The caller (the in-memory linker's screen) found the pair below the review threshold.
    assert (
        decide(incoming, [ChildCandidate("100000000001", linked, (None,))], MODEL).zone is Zone.NEW
    )
    given = MODEL.score(incoming, record)
    decision = decide(incoming, [ChildCandidate("100000000001", linked, (given,))], MODEL)
    assert decision.zone is Zone.LINK
    assert decision.candidates[0].score == given


# Twins whom both records call by the same effective name (Juan Francisco and Luis Francisco are
# both Francisco): each holds a given name the other lacks. (flag, known names, incoming, may link)
GIVEN_NAME_SET_CASES: list[
    tuple[bool | None, tuple[str, str | None], tuple[str, str | None], bool]
] = [
    (True, ("Luis", "Francisco"), ("Juan Francisco", None), False),  # the twin seen at 1M
    (None, ("Luis", "Francisco"), ("Juan Francisco", None), True),  # no twin context
    (True, ("Juan Francisco", None), ("Francisco", None), True),  # one side's extra name
    (True, ("Guadalupe", None), ("Lupe", None), True),  # a nickname is the same name
    (True, ("María Guadalupe", None), ("Lupe", None), True),
    (True, ("Francisco", "Luis"), ("Francisco", "Lius"), True),  # a misspelling is no new name
    (True, ("Mariana", None), ("Maria", None), False),  # names only alike: twins at 1M
    (None, ("Mariana", None), ("Maria", None), True),  # ...a typo for anyone else
]


@pytest.mark.parametrize(("flagged", "known", "incoming", "may_link"), GIVEN_NAME_SET_CASES)
def test_given_names_each_side_lacks_count_as_different_for_twins(
    profile: MakeProfile,
    flagged: bool | None,
    known: tuple[str, str | None],
    incoming: tuple[str, str | None],
    may_link: bool,
) -> None:
    first = child(
        "100000000001",
        profile(
            state="TX",
            sid="TX1",
            first_name=known[0],
            middle_name=known[1],
            multiple_birth=flagged,
        ),
    )
    record = profile(
        state="WA", sid="WA1", first_name=incoming[0], middle_name=incoming[1], multiple_birth=None
    )
    _linked_unless_twin_guarded(decide(record, [first], MODEL), may_link=may_link)


def _linked_unless_twin_guarded(decision: Decision, *, may_link: bool) -> None:
    if may_link:
        assert decision.zone is Zone.LINK
    else:
        assert decision.zone is Zone.REVIEW
        assert Guard.TWIN_OR_SIBLING in decision.guards

"""The identity step against the store: links across states, never twins, keeps known links,
respects do-not-link decisions and locks, opens near matches with the engine's evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.identity import Zone
from hub.model import StudentRecord
from hub.services.identity import Candidate, IdentityResolver
from hub.services.identity_eval import pairwise
from hub.store import Store, link_key
from hub.synth import iter_children

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _candidate(record: StudentRecord) -> Candidate:
    identity = record.identity.model_dump(mode="json", exclude_none=True)
    return Candidate(record.student_id.state, record.student_id.value, identity)


@pytest.fixture(scope="module")
def population() -> list[tuple[str, str, bool, StudentRecord]]:
    """(child id, family id, twin, record) for 150 synthetic children across three states."""
    rows = []
    for child in iter_children(11, 150, states=["TX", "WA", "FL"]):
        for emitted in child.records:
            rows.append((child.child_id, child.family_id, child.twin, emitted.record))
    return rows


def test_records_of_one_child_link_across_states_and_twins_never_merge(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    resolver = IdentityResolver(store, now=NOW)
    found: dict[str, str] = {}
    truth: dict[str, str] = {}
    for child_id, _, _, record in population:
        key = link_key(record.student_id.state, record.student_id.value)
        found[key] = store.call(resolver.resolve, _candidate(record)).msix_id
        truth[key] = child_id

    found_pairs, true_pairs, correct = pairwise(found, truth)
    assert true_pairs > 30  # the population does move between states
    assert correct / true_pairs > 0.8  # recall: most cross-state records were linked
    assert correct / max(found_pairs, 1) > 0.99  # precision: links are right
    family = {child_id: family_id for child_id, family_id, _, _ in population}
    for msix_id in set(found.values()):
        children = {truth[key] for key, got in found.items() if got == msix_id}
        assert len(children) == 1 or len({family[c] for c in children}) == len(children), (
            f"{msix_id} merged brothers or sisters {children}"
        )


def test_a_known_record_keeps_its_child_and_a_resend_creates_nothing(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    record = population[0][3]
    first = store.call(IdentityResolver(store, now=NOW).resolve, _candidate(record))
    again = store.call(IdentityResolver(store, now=NOW).resolve, _candidate(record))
    assert first.created
    assert (again.msix_id, again.created, again.zone) == (first.msix_id, False, None)
    assert store.call(store.students.count) == 1


def _two_records_of_one_child(
    population: list[tuple[str, str, bool, StudentRecord]],
) -> tuple[StudentRecord, StudentRecord]:
    by_child: dict[str, list[StudentRecord]] = {}
    for child_id, _, twin, record in population:
        if not twin:
            by_child.setdefault(child_id, []).append(record)
    for records in by_child.values():
        states = {r.student_id.state for r in records}
        if len(states) >= 2 and records[0].identity == records[1].identity:
            return records[0], records[1]
    for records in by_child.values():
        if len({r.student_id.state for r in records}) >= 2:
            return records[0], records[1]
    raise AssertionError("no child with records in two states")


def test_do_not_link_and_locks_keep_a_record_off_a_child(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    first, second = _two_records_of_one_child(population)
    resolver = IdentityResolver(store, now=NOW)
    child = store.call(resolver.resolve, _candidate(first))
    first_key = link_key(first.student_id.state, first.student_id.value)
    second_key = link_key(second.student_id.state, second.student_id.value)

    # An administrator decided these two are different children.
    store.call(
        store.worklist.keep_apart, first_key, second_key, reason="test", item_id="t", now=NOW
    )
    apart = store.call(IdentityResolver(store, now=NOW).resolve, _candidate(second))
    assert apart.msix_id != child.msix_id

    # Undo it, and lock the first child under a pending merge: the record waits as a near match.
    store.call(store.worklist.allow_link, first_key, second_key)
    other = second.model_copy(
        update={"student_id": second.student_id.model_copy(update={"value": "LOCKTEST1"})}
    )
    assert store.call(store.worklist.lock, [child.msix_id], "wl-test") == []
    waiting = store.call(IdentityResolver(store, now=NOW).resolve, _candidate(other))
    assert waiting.msix_id != child.msix_id
    if waiting.zone is not Zone.NEW:  # a locked link target becomes a near match
        assert waiting.near_match is not None
        item = store.call(store.worklist.get, waiting.near_match)
        assert child.msix_id in item["msix_ids"]
        assert item["candidates"][0]["comparisons"]  # the engine's evidence is kept


def test_a_record_that_scores_in_the_review_zone_opens_one_near_match(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    first, _ = _two_records_of_one_child(population)
    resolver = IdentityResolver(store, now=NOW)
    child = store.call(resolver.resolve, _candidate(first))
    # Same name and birth date, another state id of the same state: the same-state guard caps it.
    twin_like = first.model_copy(
        update={"student_id": first.student_id.model_copy(update={"value": "OTHERID77"})}
    )
    result = store.call(IdentityResolver(store, now=NOW).resolve, _candidate(twin_like))
    assert result.zone is Zone.REVIEW
    assert result.msix_id != child.msix_id
    assert result.near_match is not None
    item: dict[str, Any] = store.call(store.worklist.get, result.near_match)
    assert item["kind"] == "near_match"
    assert item["msix_ids"][0] == result.msix_id
    assert child.msix_id in item["msix_ids"]


def test_a_prepared_chunk_links_a_record_to_a_child_made_earlier_in_the_same_chunk(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    first, second = _two_records_of_one_child(population)
    one_by_one = IdentityResolver(store, now=NOW)
    # What the record-by-record path decides, in a store that holds only these two records.
    alone = [store.call(one_by_one.resolve, _candidate(record)) for record in (first, second)]
    assert alone[1].msix_id == alone[0].msix_id  # the second record joins the first's child
    store.engine.drop_database()

    resolver = IdentityResolver(store, now=NOW)

    def chunk() -> list[str]:
        with store.engine.batch():
            resolver.forget()
            candidates = [_candidate(first), _candidate(second)]
            resolver.prepare(candidates)  # one blocking-key read: neither child exists yet
            return [resolver.resolve(candidate).msix_id for candidate in candidates]

    made = store.call(chunk)
    assert made[1] == made[0]  # found although it was created after the chunk's read
    child = store.call(store.students.get, made[0])
    assert child is not None
    assert sorted(child["link_keys"]) == sorted(
        link_key(record.student_id.state, record.student_id.value) for record in (first, second)
    )
    assert store.call(store.students.count) == 1


def test_prepared_chunks_decide_as_record_by_record_resolution_does(
    store: Store, population: list[tuple[str, str, bool, StudentRecord]]
) -> None:
    resolver = IdentityResolver(store, now=NOW)
    found: dict[str, str] = {}
    truth = {
        link_key(record.student_id.state, record.student_id.value): child_id
        for child_id, _, _, record in population
    }
    by_state: dict[str, list[StudentRecord]] = {}
    for _, _, _, record in population:
        by_state.setdefault(record.student_id.state, []).append(record)

    def chunk(records: list[StudentRecord]) -> None:
        with store.engine.batch():
            resolver.forget()
            candidates = [_candidate(record) for record in records]
            resolver.prepare(candidates)
            for candidate in candidates:
                key = link_key(candidate.state, candidate.state_student_id)
                found[key] = resolver.resolve(candidate).msix_id

    for records in by_state.values():  # one file per state, in chunks of 40
        for start in range(0, len(records), 40):
            store.call(chunk, records[start : start + 40])

    found_pairs, true_pairs, correct = pairwise(found, truth)
    assert true_pairs > 30
    assert correct / true_pairs > 0.8
    assert correct / max(found_pairs, 1) > 0.99
    # Every link is on exactly one active child, and every child's keys name its links.
    links: list[str] = []
    for msix_id in set(found.values()):
        child = store.call(store.students.get, msix_id)
        assert child is not None
        assert child["status"] == "active"
        links.extend(child["link_keys"])
        assert all(found[key] == msix_id for key in child["link_keys"])
    assert sorted(links) == sorted(found)

"""The identity step's bookkeeping: known records keep their child, prefetch reads links in bulk."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.services.identity import Candidate, IdentityResolver
from hub.store import Store

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_a_new_record_gets_a_new_child_and_a_known_one_keeps_it(store: Store) -> None:
    step = IdentityResolver(store, now=NOW)
    candidate = Candidate("TX", "TX1", {"first_name": "Ana", "birth_date": "2014-03-07"})

    first = store.call(step.resolve, candidate)
    again = store.call(IdentityResolver(store, now=NOW).resolve, candidate)

    assert first.created
    assert not again.created
    assert again.msix_id == first.msix_id
    child = store.call(store.students.get, first.msix_id)
    assert child is not None
    identity = {"first_name": "Ana", "birth_date": "2014-03-07"}
    assert child["links"] == [{"state": "TX", "state_student_id": "TX1", "identity": identity}]
    assert child["identity"] == identity
    assert child["link_keys"] == ["TX:TX1"]


def test_the_same_id_in_another_state_is_another_child(store: Store) -> None:
    step = IdentityResolver(store, now=NOW)
    texas = store.call(step.resolve, Candidate("TX", "42", {}))
    washington = store.call(step.resolve, Candidate("WA", "42", {}))
    assert texas.msix_id != washington.msix_id


def test_prefetch_finds_every_linked_record_in_one_call(store: Store) -> None:
    step = IdentityResolver(store, now=NOW)
    made = {sid: store.call(step.resolve, Candidate("TX", sid, {})).msix_id for sid in "ABC"}
    fresh = IdentityResolver(store, now=NOW)
    store.call(fresh.prefetch, "TX", ["A", "B", "C", "D"])
    found = {sid: store.call(fresh.resolve, Candidate("TX", sid, {})) for sid in "ABC"}
    assert {sid: result.msix_id for sid, result in found.items()} == made
    assert not any(result.created for result in found.values())

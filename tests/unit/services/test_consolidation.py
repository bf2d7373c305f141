"""The consolidated view of one child: every linked state's current record, aliases followed."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import NotFoundError
from hub.services.consolidation import find_child_by_state_id, load_child
from hub.store import Store
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl


def _child_of(store: Store, record: dict[str, Any]) -> str:
    msix_id = store.call(find_child_by_state_id, store, STATE, record["student_id"]["value"])
    assert msix_id is not None
    return msix_id


def test_a_child_reads_as_its_linked_records_with_health_only_when_allowed(
    store: Store, tx_records: list[dict[str, Any]]
) -> None:
    with_shots = next(r for r in tx_records if r.get("immunizations"))
    ingest_bytes(store, jsonl([with_shots]))
    msix_id = _child_of(store, with_shots)

    full = store.call(load_child, store, msix_id, include_health=True)
    plain = store.call(load_child, store, msix_id, include_health=False)

    assert [(r.state, r.state_student_id) for r in full.records] == [
        (STATE, with_shots["student_id"]["value"])
    ]
    (record,) = full.education_records()
    assert record.msix_id == msix_id
    assert len(record.immunizations) == len(with_shots["immunizations"]) > 0
    (stripped,) = plain.education_records()
    assert stripped.immunizations == []
    assert stripped.conditions == []
    assert stripped.enrollments == record.enrollments  # health flags stay with the enrollments


def test_a_retired_id_reads_as_the_surviving_child_with_both_records(
    store: Store, tx_records: list[dict[str, Any]]
) -> None:
    first, second = tx_records[0], tx_records[1]
    ingest_bytes(store, jsonl([first, second]))
    keep, retire = _child_of(store, first), _child_of(store, second)
    assert keep != retire

    def merge() -> None:  # what a validated merge does to the links (the worklist does more)
        store.state_records.link(STATE, second["student_id"]["value"], keep)
        store.students.retire(retire, alias_of=keep)

    store.call(merge)
    child = store.call(load_child, store, retire, include_health=False)

    assert (child.msix_id, child.requested_id, child.replaced) == (keep, retire, True)
    assert sorted(r.state_student_id for r in child.records) == sorted(
        [first["student_id"]["value"], second["student_id"]["value"]]
    )


def test_an_unknown_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.call(load_child, store, "123456789012", include_health=False)

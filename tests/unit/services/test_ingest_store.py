"""The store operations the ingest relies on: bulk reads, conditional FHIR writes that finish an
interrupted write, link keys, idempotent audit appends, batches and quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.errors import ConflictError, NotFoundError, PreconditionFailedError
from hub.store import SearchProjection, Store

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _immunization(resource_id: str = "imm-1", cvx: str = "03") -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": resource_id,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": cvx}]},
        "patient": {"reference": "Patient/123456789012"},
        "occurrenceDateTime": "2015-04-02",
    }


def test_a_write_with_the_version_the_caller_saw_succeeds_and_a_stale_one_is_refused(
    store: Store,
) -> None:
    first = store.call(store.fhir.write, _immunization(), SearchProjection(), if_match=0)
    second = store.call(
        store.fhir.write, _immunization(cvx="08"), SearchProjection(), if_match=first.version_id
    )
    assert (first.version_id, second.version_id) == (1, 2)
    with pytest.raises(PreconditionFailedError):
        store.call(store.fhir.write, _immunization(cvx="10"), SearchProjection(), if_match=1)
    with pytest.raises(PreconditionFailedError):
        store.call(store.fhir.write, _immunization(cvx="10"), SearchProjection(), if_match=0)
    with pytest.raises(PreconditionFailedError):
        store.call(store.fhir.write, _immunization(cvx="10"), SearchProjection(), if_match=7)
    history = store.call(store.fhir.history, "Immunization", "imm-1")
    assert [item.version_id for item in history] == [2, 1]  # refused writes left nothing behind
    assert (
        store.call(store.fhir.read, "Immunization", "imm-1").resource["vaccineCode"]["coding"][0][
            "code"
        ]
        == "08"
    )


def test_a_write_interrupted_between_history_and_current_changes_nothing_visible(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Killed(BaseException):
        pass

    def killed(*args: object) -> None:
        raise Killed

    store.call(store.fhir.write, _immunization(), SearchProjection(), if_match=0)
    monkeypatch.setattr(store.fhir, "_move_current", killed)
    with pytest.raises(Killed):
        store.call(store.fhir.write, _immunization(cvx="08"), SearchProjection(), if_match=1)
    monkeypatch.undo()

    # Version 1 was copied to history, `current` never moved: one version, read either way.
    assert store.call(store.fhir.read, "Immunization", "imm-1").version_id == 1
    assert [
        item.version_id for item in store.call(store.fhir.history, "Immunization", "imm-1")
    ] == [1]
    assert store.call(store.fhir.vread, "Immunization", "imm-1", 1).version_id == 1
    with pytest.raises(NotFoundError):
        store.call(store.fhir.vread, "Immunization", "imm-1", 2)

    replaced = store.call(store.fhir.write, _immunization(cvx="10"), SearchProjection(), if_match=1)

    assert replaced.version_id == 2
    history = store.call(store.fhir.history, "Immunization", "imm-1")
    assert [item.resource["vaccineCode"]["coding"][0]["code"] for item in history] == ["10", "03"]
    assert store.call(store.fhir.vread, "Immunization", "imm-1", 1).resource["meta"] == {
        "versionId": "1",
        "lastUpdated": history[1].resource["meta"]["lastUpdated"],
    }


def test_history_keeps_superseded_versions_only_and_a_new_resource_costs_one_write(
    store: Store,
) -> None:
    store.call(store.fhir.write, _immunization("a"), SearchProjection(), if_match=0)
    assert count_docs(store, "fhir_history") == 0
    store.call(store.fhir.write, _immunization("a", cvx="08"), SearchProjection(), if_match=1)
    store.call(store.fhir.write, _immunization("a", cvx="10"), SearchProjection(), if_match=2)
    assert count_docs(store, "fhir_history") == 2
    history = store.call(store.fhir.history, "Immunization", "a")
    assert [
        (item.version_id, item.resource["vaccineCode"]["coding"][0]["code"]) for item in history
    ] == [
        (3, "10"),
        (2, "08"),
        (1, "03"),
    ]


def test_a_bulk_write_planned_from_a_stale_version_is_refused(store: Store) -> None:
    first = store.call(store.fhir.write, _immunization(), SearchProjection(), if_match=0)
    stale = store.fhir.plan(_immunization(cvx="08"), SearchProjection(), previous=first)
    store.call(store.fhir.write, _immunization(cvx="10"), SearchProjection(), if_match=1)
    with pytest.raises(ConflictError):
        store.call(store.fhir.write_many, [stale])
    assert (
        store.call(store.fhir.read, "Immunization", "imm-1").resource["vaccineCode"]["coding"][0][
            "code"
        ]
        == "10"
    )


def count_docs(store: Store, collection: str) -> int:
    return int(store.call(lambda: store.engine.db[collection].count_documents({})))


def test_read_many_and_current_many_answer_what_exists(store: Store) -> None:
    store.call(store.fhir.write, _immunization("a"), SearchProjection())
    store.call(store.fhir.write, _immunization("b"), SearchProjection())
    assert set(store.call(store.fhir.read_many, "Immunization", ["a", "b", "c"])) == {"a", "b"}
    store.call(store.state_records.save, "TX", "1", {"v": 1})
    store.call(store.state_records.save, "TX", "1", {"v": 2})
    store.call(store.state_records.save, "WA", "2", {"v": 1})
    current = store.call(store.state_records.current_many, "TX", ["1", "2"])
    assert {sid: stored.version for sid, stored in current.items()} == {"1": 2}


def test_children_are_found_by_their_links_even_after_the_links_change(store: Store) -> None:
    links = [{"state": "TX", "state_student_id": "1"}]
    child = store.call(store.students.create, {"links": links})
    assert store.call(store.students.find_by_link, "TX", "1")["_id"] == child["_id"]  # type: ignore[index]
    moved = [{"state": "WA", "state_student_id": "9"}]
    store.call(store.students.update, child["_id"], {"links": moved})
    assert store.call(store.students.find_by_link, "TX", "1") is None
    found = store.call(store.students.find_by_links, "WA", ["9", "8"])
    assert {sid: doc["_id"] for sid, doc in found.items()} == {"9": child["_id"]}


def test_an_event_with_a_derived_id_is_appended_once(store: Store) -> None:
    event = {"id": "derived-1", "recorded": "2026-11-28T12:00:00.000Z"}
    assert store.call(lambda: store.audit.append_once(event, msix_ids=[]))
    assert not store.call(lambda: store.audit.append_once(event, msix_ids=[]))
    assert store.call(store.audit.count) == 1


def test_a_batch_keeps_its_first_receipt_and_counts_attempts(store: Store) -> None:
    later = NOW.replace(hour=13)
    store.call(lambda: store.ingest.start_batch("TX-1", {"state": "TX"}, now=NOW))
    store.call(store.ingest.finish_batch, "TX-1", {"status": "rejected", "acknowledgement": {}})
    again = store.call(lambda: store.ingest.start_batch("TX-1", {"state": "TX"}, now=later))
    assert again["attempts"] == 2
    assert again["status"] == "running"
    assert "acknowledgement" not in again
    assert again["received_at"].replace(tzinfo=UTC) == NOW


def test_quarantine_opens_and_a_resend_resolves(store: Store) -> None:
    store.call(store.ingest.quarantine, "TX:1", {"state": "TX", "state_student_id": "1"})
    assert store.call(store.ingest.count_open, "TX") == 1
    resolved = store.call(lambda: store.ingest.resolve("TX", ["1", "2"], batch_id="TX-2", now=NOW))
    assert resolved == 1
    assert store.call(store.ingest.open_quarantine, "TX") == []
    entry = store.call(store.ingest.quarantined, "TX", "1")
    assert entry is not None
    assert entry["resolved_by"] == "TX-2"

"""Worklists: two-person rule, locks, routing and escalation with a controlled clock, merge and
split with aliases, health resources following, do-not-link decisions (DOMAIN.md §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Settings
from hub.errors import ConflictError, PermissionDeniedError, ValidationError
from hub.security import AuditWriter, Caller, Jurisdiction, Role
from hub.services import worklists
from hub.services.consolidation import find_child_by_state_id, load_child
from hub.store import Store, link_key
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
AUDIT = AuditWriter("test-hub")


def _da(name: str, jurisdiction: str = STATE, role: Role = Role.DATA_ADMIN_STATE) -> Caller:
    return Caller("user", name, frozenset(), Jurisdiction.parse(jurisdiction), frozenset({role}))


def _sid(record: dict[str, Any]) -> str:
    return str(record["student_id"]["value"])


@pytest.fixture
def children(store: Store, tx_records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Three stored TX children (each with immunizations), as (MSIX ID, record)."""
    picked = [record for record in tx_records if record.get("immunizations")][:3]
    ingest_bytes(store, jsonl(picked))
    found = []
    for record in picked:
        msix_id = store.call(find_child_by_state_id, store, STATE, _sid(record))
        assert msix_id is not None
        found.append((msix_id, record))
    return found


def _patients_of_health(store: Store, msix_id: str) -> int:
    return len(store.call(store.fhir.search, "Immunization", {"patient": msix_id}, limit=500))


def test_the_initiator_cannot_validate_a_merge_and_another_da_can(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (keep, first), (gone, second) = children[0], children[1]
    shots_of_gone = _patients_of_health(store, gone)
    assert shots_of_gone > 0
    item = store.call(
        worklists.initiate_merge,
        store,
        _da("ana"),
        master=keep,
        others=[gone],
        now=NOW,
        audit=AUDIT,
    )

    with pytest.raises(PermissionDeniedError, match="two-person rule"):
        store.call(
            worklists.validate, store, _da("ana"), item["_id"], approve=True, now=NOW, audit=AUDIT
        )
    assert store.call(store.students.resolve, gone)["status"] == "active"  # nothing happened yet

    done = store.call(
        worklists.validate, store, _da("ben"), item["_id"], approve=True, now=NOW, audit=AUDIT
    )

    assert (done["status"], done["outcome"], done["decided_by"]) == ("closed", "approved", "ben")
    child = store.call(load_child, store, gone, include_health=True)  # the alias resolves
    assert child.msix_id == keep
    assert sorted(r.state_student_id for r in child.records) == sorted([_sid(first), _sid(second)])
    assert _patients_of_health(store, gone) == 0  # health resources followed the merge
    assert store.call(find_child_by_state_id, store, STATE, _sid(second)) == keep
    assert store.call(store.worklist.locked_by, keep) is None  # the lock went with the decision


def test_a_child_waiting_on_one_merge_cannot_be_flagged_by_another(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (a, _), (b, _), (c, _) = children
    store.call(
        worklists.initiate_merge, store, _da("ana"), master=a, others=[b], now=NOW, audit=AUDIT
    )
    with pytest.raises(ConflictError, match="already wait"):
        store.call(
            worklists.initiate_merge, store, _da("ben"), master=c, others=[b], now=NOW, audit=AUDIT
        )


def test_merge_then_split_restores_the_grouping_and_keeps_them_apart(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (keep, first), (gone, second) = children[0], children[1]
    merge = store.call(
        worklists.initiate_merge,
        store,
        _da("ana"),
        master=keep,
        others=[gone],
        now=NOW,
        audit=AUDIT,
    )
    store.call(
        worklists.validate, store, _da("ben"), merge["_id"], approve=True, now=NOW, audit=AUDIT
    )
    shots = _patients_of_health(store, keep)

    split = store.call(
        worklists.initiate_split,
        store,
        _da("ben"),
        msix_id=keep,
        groups=[[link_key(STATE, _sid(second))]],
        now=NOW,
        audit=AUDIT,
    )
    done = store.call(
        worklists.validate, store, _da("ana"), split["_id"], approve=True, now=NOW, audit=AUDIT
    )

    (new_id,) = done["new_msix_ids"]
    assert new_id not in (keep, gone)  # a split gives a new MSIX ID
    assert [
        r.state_student_id
        for r in store.call(load_child, store, keep, include_health=False).records
    ] == [_sid(first)]
    assert [
        r.state_student_id
        for r in store.call(load_child, store, new_id, include_health=False).records
    ] == [_sid(second)]
    assert _patients_of_health(store, keep) + _patients_of_health(store, new_id) == shots
    assert _patients_of_health(store, new_id) > 0
    with pytest.raises(ConflictError, match="different children"):
        store.call(
            worklists.initiate_merge,
            store,
            _da("ana"),
            master=keep,
            others=[new_id],
            now=NOW,
            audit=AUDIT,
        )


def test_a_split_must_leave_the_master_a_record(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    msix_id, record = children[0]
    with pytest.raises(ValidationError, match="at least one"):
        store.call(
            worklists.initiate_split,
            store,
            _da("ana"),
            msix_id=msix_id,
            groups=[[link_key(STATE, _sid(record))]],
            now=NOW,
            audit=AUDIT,
        )


def test_a_near_match_decided_different_records_do_not_link(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (new, record), (old, _) = children[0], children[1]
    item = store.call(
        worklists.open_near_match,
        store,
        state=STATE,
        state_student_id=_sid(record),
        msix_id=new,
        candidates=[{"msix_id": old, "weight": 7.5}],
        now=NOW,
    )
    again = store.call(
        worklists.open_near_match,
        store,
        state=STATE,
        state_student_id=_sid(record),
        msix_id=new,
        candidates=[{"msix_id": old, "weight": 7.5}],
        now=NOW,
    )
    assert again["_id"] == item["_id"]  # a re-run opens no second item

    closed = store.call(
        worklists.decide_near_match,
        store,
        _da("ana"),
        item["_id"],
        same_child=False,
        now=NOW,
        audit=AUDIT,
    )

    assert closed["outcome"] == "different-children"
    with pytest.raises(ConflictError, match="different children"):
        store.call(
            worklists.initiate_merge,
            store,
            _da("ben"),
            master=old,
            others=[new],
            now=NOW,
            audit=AUDIT,
        )


def test_a_near_match_decided_same_child_merges_only_after_a_second_da(
    store: Store, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (new, record), (old, _) = children[0], children[1]
    item = store.call(
        worklists.open_near_match,
        store,
        state=STATE,
        state_student_id=_sid(record),
        msix_id=new,
        candidates=[{"msix_id": old}],
        now=NOW,
    )
    closed = store.call(
        worklists.decide_near_match,
        store,
        _da("ana"),
        item["_id"],
        same_child=True,
        now=NOW,
        audit=AUDIT,
    )
    validation = store.call(store.worklist.get, closed["validation"])
    assert validation["kind"] == "validate_near_match_merge"
    assert validation["master"] == old  # the earlier child's ID survives by default
    assert store.call(store.students.resolve, new)["status"] == "active"

    store.call(
        worklists.validate, store, _da("ben"), validation["_id"], approve=True, now=NOW, audit=AUDIT
    )

    assert store.call(store.students.resolve, new)["_id"] == old


def test_items_escalate_by_level_and_a_validation_auto_approves_when_time_runs_out(
    store: Store, settings: Settings, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (a, _), (b, _) = children[0], children[1]
    item = store.call(
        worklists.initiate_merge, store, _da("ana"), master=a, others=[b], now=NOW, audit=AUDIT
    )
    days = settings.worklist_escalation_days
    levels = [item["level"]]
    clock = NOW
    for _ in range(4):
        assert (
            store.call(worklists.escalate, store, settings, now=clock + timedelta(days=days - 1))
            == []
        )
        clock += timedelta(days=days)
        changed = store.call(worklists.escalate, store, settings, now=clock)
        current = store.call(store.worklist.get, item["_id"])
        if current["status"] == "closed":
            break
        assert [c["_id"] for c in changed] == [item["_id"]]
        levels.append(current["level"])

    assert levels[-1] == "state"
    assert levels == sorted(levels, key=["district", "region", "state"].index)
    assert (current["outcome"], current["decided_by"]) == ("auto-approved", worklists.AUTO_APPROVER)
    assert store.call(store.students.resolve, b)["_id"] == a


def test_a_data_administrator_of_another_state_cannot_act_and_does_not_see_the_item(
    store: Store, settings: Settings, children: list[tuple[str, dict[str, Any]]]
) -> None:
    (a, _), (b, _) = children[0], children[1]
    item = store.call(
        worklists.initiate_merge, store, _da("ana"), master=a, others=[b], now=NOW, audit=AUDIT
    )
    outsider = _da("wes", "WA")
    with pytest.raises(PermissionDeniedError, match="outside WA"):
        store.call(
            worklists.validate, store, outsider, item["_id"], approve=True, now=NOW, audit=AUDIT
        )
    assert store.call(worklists.items_for, store, outsider) == []
    route = item["route"]
    assert item["level"] == "district"  # the district of the most recent closed enrollment
    district_da = _da("dee", f"{STATE}//{route['district']}", Role.DATA_ADMIN_DISTRICT)
    other_district = _da("dan", f"{STATE}//X{route['district']}"[:12], Role.DATA_ADMIN_DISTRICT)
    assert [i["_id"] for i in store.call(worklists.items_for, store, district_da)] == [item["_id"]]
    assert store.call(worklists.items_for, store, other_district) == []
    assert store.call(worklists.items_for, store, _da("ben")) == []  # not escalated yet
    later = NOW + timedelta(days=settings.worklist_escalation_days)
    store.call(worklists.escalate, store, settings, now=later)
    assert [i["_id"] for i in store.call(worklists.items_for, store, _da("ben"))] == [item["_id"]]
    registrar = Caller(
        "user", "reg", frozenset(), Jurisdiction.parse(STATE), frozenset({Role.SECONDARY_USER})
    )
    with pytest.raises(PermissionDeniedError):
        store.call(
            worklists.initiate_merge, store, registrar, master=a, others=[b], now=NOW, audit=AUDIT
        )

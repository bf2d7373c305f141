"""Regions a state declares (DOMAIN.md §6): parsing with located errors, whole-file replacement,
and worklist items routed district -> region -> state through them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Settings
from hub.errors import ValidationError
from hub.security import AuditAgent, AuditWriter, Caller, Jurisdiction, Role
from hub.services import worklists
from hub.services.consolidation import find_child_by_state_id
from hub.services.regions import declare_regions, parse_regions
from hub.store import Store
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
AGENT = AuditAgent("user", "console:test")


def test_a_declaration_maps_each_district_to_its_region() -> None:
    text = 'district_id,region\r\n4800001,Valley\r\n4800002,"High Plains North"\r\n\r\n'
    text += "4800001,Valley\r\n"  # the same line again is no conflict
    assert parse_regions(text) == {"4800001": "Valley", "4800002": "High Plains North"}


def test_every_mistake_of_a_declaration_is_reported_at_once_with_its_line() -> None:
    text = (
        "district_id,region\n"
        "4800001,Valley\n"
        "48-0002,Valley\n"  # not an LEA id
        "4800001,Coast\n"  # a district in two regions
        "4800003,\n"  # no region
        "4800004,Valley/North\n"  # '/' separates jurisdiction parts
        "4800005,Valley,extra\n"
    )
    with pytest.raises(ValidationError) as raised:
        parse_regions(text)
    found = [(issue.location, issue.rule) for issue in raised.value.issues]
    assert found == [
        ("line 3, district_id", "regions.district"),
        ("line 4, district_id", "regions.one-region"),
        ("line 5, region", "regions.name"),
        ("line 6, region", "regions.name"),
        ("line 7", None),
    ]
    assert "already in region 'Valley' (line 2)" in raised.value.issues[1].message


def test_a_file_without_the_header_is_refused() -> None:
    with pytest.raises(ValidationError, match="first line must be"):
        parse_regions("4800001,Valley\n")


def test_a_new_declaration_replaces_the_old_and_a_bad_one_changes_nothing(store: Store) -> None:
    first = "district_id,region\n4800001,Valley\n4800002,Valley\n"
    assert store.call(declare_regions, store, "TX", first, agent=AGENT, now=NOW) == (2, 0)
    second = "district_id,region\n4800002,Coast\n"
    assert store.call(declare_regions, store, "TX", second, agent=AGENT, now=NOW) == (1, 2)
    with pytest.raises(ValidationError):
        store.call(
            declare_regions, store, "TX", "district_id,region\n,Coast\n", agent=AGENT, now=NOW
        )

    assert store.call(store.regions.of_state, "TX") == {"4800002": "Coast"}
    assert store.call(store.regions.region_of, "TX", "4800001") is None
    assert store.call(store.regions.of_state, "WA") == {}
    events = store.call(lambda: store.engine.db["audit"].count_documents({}))
    assert events == 2  # each accepted declaration is audited; the refused one is not


def _latest_district(record: dict[str, Any]) -> str:
    closed = [e for e in record.get("enrollments", []) if e.get("withdrawal_date")]
    latest = max(closed, key=lambda enrollment: enrollment["withdrawal_date"])
    return str(latest["district_id"])


def _caller(name: str, jurisdiction: str, role: Role) -> Caller:
    return Caller("user", name, frozenset(), Jurisdiction.parse(jurisdiction), frozenset({role}))


def test_an_item_escalates_from_its_district_to_the_declared_region_then_the_state(
    store: Store, settings: Settings, tx_records: list[dict[str, Any]]
) -> None:
    picked = [
        record
        for record in tx_records
        if any(e.get("withdrawal_date") for e in record.get("enrollments", []))
    ][:2]
    ingest_bytes(store, jsonl(picked))
    master, other = (
        store.call(find_child_by_state_id, store, STATE, str(r["student_id"]["value"]))
        for r in picked
    )
    assert master is not None
    assert other is not None
    declared = "district_id,region\n" + "".join(
        f"{_latest_district(record)},Valley\n" for record in picked
    )
    store.call(declare_regions, store, STATE, declared, agent=AGENT, now=NOW)
    state_da = _caller("ana", STATE, Role.DATA_ADMIN_STATE)
    item = store.call(
        worklists.initiate_merge,
        store,
        state_da,
        master=master,
        others=[other],
        now=NOW,
        audit=AuditWriter("test-hub"),
    )
    assert item["route"]["region"] == "Valley"
    assert item["level"] == "district"

    regional = _caller("rita", f"{STATE}/Valley", Role.DATA_ADMIN_REGIONAL)
    elsewhere = _caller("omar", f"{STATE}/Coast", Role.DATA_ADMIN_REGIONAL)
    assert store.call(worklists.items_for, store, regional) == []
    days = timedelta(days=settings.worklist_escalation_days)
    store.call(worklists.escalate, store, settings, now=NOW + days)

    assert [found["_id"] for found in store.call(worklists.items_for, store, regional)] == [
        item["_id"]
    ]
    assert store.call(worklists.items_for, store, elsewhere) == []
    store.call(worklists.escalate, store, settings, now=NOW + 2 * days)
    assert store.call(store.worklist.get, item["_id"])["level"] == "state"

from __future__ import annotations

import json
from datetime import datetime

from hub.security import (
    AuditAction,
    AuditAgent,
    AuditLog,
    AuditOutcome,
    AuditWriter,
    Caller,
    Jurisdiction,
    Role,
    audit_event,
)
from hub.store import Store

TX_R1 = Jurisdiction(state="TX", region="R1")
CHILDREN = ["123456789012", "210987654321"]


def _user_agent() -> AuditAgent:
    caller = Caller(
        kind="user",
        id="mlopez",
        scopes=frozenset(),
        jurisdiction=TX_R1,
        roles=frozenset({Role.PRIMARY_USER}),
    )
    return AuditAgent.of(caller, address="192.0.2.10")


def test_view_event_is_a_fhir_r4_audit_event(now: datetime) -> None:
    event = audit_event(
        action=AuditAction.VIEW,
        agent=_user_agent(),
        recorded=now,
        observer="msix-hub",
        msix_ids=CHILDREN,
    )
    assert event["resourceType"] == "AuditEvent"
    assert event["type"]["system"] == "http://terminology.hl7.org/CodeSystem/audit-event-type"
    assert event["type"]["code"] == "rest"
    subtypes = {(c["system"], c["code"]) for c in event["subtype"]}
    assert ("http://hl7.org/fhir/restful-interaction", "read") in subtypes
    assert event["action"] == "R"
    assert event["recorded"] == "2025-09-02T14:30:00.000Z"
    assert event["outcome"] == "0"
    assert event["source"]["observer"] == {"display": "msix-hub"}
    [agent] = event["agent"]
    assert agent["who"]["identifier"]["value"] == "mlopez"
    assert agent["type"]["coding"][0]["code"] == "humanuser"
    assert agent["requestor"] is True
    assert agent["role"][0]["coding"][0]["code"] == "primary_user"
    assert agent["extension"][0]["valueString"] == "TX/R1"
    assert agent["network"] == {"address": "192.0.2.10", "type": "2"}
    assert [e["what"]["reference"] for e in event["entity"]] == [
        "Patient/123456789012",
        "Patient/210987654321",
    ]


def test_actions_map_to_their_audit_codes(now: datetime) -> None:
    expected = {
        AuditAction.SEARCH: ("rest", "E", "search-type"),
        AuditAction.PRINT: ("rest", "R", "read"),
        AuditAction.MERGE: ("110110", "U", "merge"),
        AuditAction.SPLIT: ("110110", "U", "split"),
        AuditAction.LOGIN: ("110114", "E", "110122"),
        AuditAction.TOKEN: ("110114", "E", "110122"),
    }
    for action, (type_code, action_code, subtype) in expected.items():
        event = audit_event(action=action, agent=_user_agent(), recorded=now, observer="hub")
        assert event["type"]["code"] == type_code
        assert event["action"] == action_code
        codes = [coding["code"] for coding in event["subtype"]]
        assert subtype in codes
        assert action.value in codes  # the hub's own subtype is always present


def test_failed_token_request_is_a_minor_failure_by_a_client(now: datetime) -> None:
    event = audit_event(
        action=AuditAction.TOKEN,
        agent=AuditAgent("client", "tx-sis"),
        recorded=now,
        observer="hub",
        outcome=AuditOutcome.MINOR_FAILURE,
        outcome_description="invalid_client: client authentication failed",
    )
    assert event["outcome"] == "4"
    assert event["outcomeDesc"].startswith("invalid_client")
    assert event["agent"][0]["type"]["coding"][0]["code"] == "110150"
    assert event["agent"][0]["who"]["identifier"]["system"] == "urn:msix-hub:client"
    assert "entity" not in event


def test_event_carries_no_payload(now: datetime) -> None:
    event = audit_event(
        action=AuditAction.SEARCH,
        agent=_user_agent(),
        recorded=now,
        observer="hub",
        msix_ids=CHILDREN,
    )
    text = json.dumps(event)
    for field in ("query", "detail", "name", "birth"):
        assert f'"{field}"' not in text


def test_writer_appends_to_the_store_indexed_by_child(store: Store, now: datetime) -> None:
    log: AuditLog = store.audit  # the store satisfies the protocol structurally
    writer = AuditWriter("msix-hub")
    event = store.call(
        lambda: writer.record(
            log, action=AuditAction.PRINT, agent=_user_agent(), now=now, msix_ids=CHILDREN * 2
        )
    )
    assert len(event["entity"]) == 2
    assert store.call(store.audit.for_child, "210987654321") == [event]
    assert store.call(store.audit.count) == 1

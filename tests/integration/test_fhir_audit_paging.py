"""Every FHIR read and search writes an AuditEvent (readable at /fhir/AuditEvent with an admin
scope); a merged child's old MSIX ID answers with its retired Patient; keyset paging over 1,000
Patients returns each exactly once while Patients are being added."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.services import merge_split
from hub.services.patients import refresh_all_patients, refresh_patient
from tests.integration.fhir_data import READ_ALL, add_child, immunization, put, store_of, token

AUDITOR = ["system/AuditEvent.read"]


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _child(http: TestClient, state: str, sid: str, first: str = "Rosa") -> str:
    return add_child(
        store_of(http),
        [(state, sid)],
        first_name=first,
        last_name_1="Quintanilla",
        sex="Female",
        birth_date="2014-03-09",
    )


def _events(http: TestClient, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    url: str | None = "/fhir/AuditEvent"
    query: dict[str, Any] | None = {"_count": 7, **params}
    while url is not None:
        response = http.get(url, params=query, headers=token(http, AUDITOR))
        assert response.status_code == 200, response.text
        bundle = response.json()
        events += [entry["resource"] for entry in bundle.get("entry", [])]
        url = next((ln["url"] for ln in bundle["link"] if ln["relation"] == "next"), None)
        query = None
    return events


def test_every_read_and_search_writes_an_audit_event_naming_the_child(http: TestClient) -> None:
    rosa = _child(http, "TX", "TX1")
    put(store_of(http), immunization(rosa, "TX", "001"))
    headers = token(http, READ_ALL)
    calls = [
        ("read", f"/fhir/Patient/{rosa}", {}),
        ("read", "/fhir/Immunization/imm-tx-001", {}),
        ("read", "/fhir/Immunization/imm-tx-001/_history/1", {}),
        ("read", "/fhir/Immunization/imm-tx-001/_history", {}),
        ("search", "/fhir/Patient", {"name": "rosa"}),
        ("search", "/fhir/Immunization", {"patient": rosa}),
        ("read", f"/fhir/Patient/{rosa}/$everything", {}),
        ("read", "/fhir/Patient/100000000017", {}),  # refused reads are audited too
    ]
    before = len(_events(http))
    for _, url, params in calls:
        http.get(url, params=params, headers=headers)
    events = _events(http)[: len(calls)]
    assert len(_events(http)) - before == len(calls)
    kinds = [event["subtype"][-1]["code"] for event in reversed(events)]
    assert kinds == [("view" if kind == "read" else kind) for kind, _, _ in calls]
    about = [
        [entity["what"]["reference"] for entity in event.get("entity", [])]
        for event in reversed(events)
    ]
    assert all(f"Patient/{rosa}" in refs for refs in about[:-1])
    assert reversed(events).__next__()["outcome"] == "0"
    assert events[0]["outcome"] == "4"  # the refused read
    assert [e["id"] for e in _events(http, patient=rosa)] == [e["id"] for e in events[1:]]


def test_the_audit_log_needs_an_admin_scope(http: TestClient) -> None:
    denied = http.get("/fhir/AuditEvent", headers=token(http, READ_ALL))
    assert denied.status_code == 403
    event = _events(http) or [{"id": "none"}]
    if event[0]["id"] != "none":
        one = http.get(f"/fhir/AuditEvent/{event[0]['id']}", headers=token(http, AUDITOR))
        assert one.json() == event[0]


def test_a_merged_childs_old_id_answers_with_the_retired_patient(http: TestClient) -> None:
    survivor = _child(http, "TX", "TX1")
    merged = _child(http, "WA", "W1", first="Rosita")
    store = store_of(http)
    store.call(lambda: merge_split.merge(store, survivor, [merged], now=datetime.now(UTC)))
    headers = token(http, READ_ALL)
    old = http.get(f"/fhir/Patient/{merged}", headers=headers).json()
    assert old["active"] is False
    assert old["link"] == [{"other": {"reference": f"Patient/{survivor}"}, "type": "replaced-by"}]
    current = http.get(f"/fhir/Patient/{survivor}", headers=headers).json()
    assert {"other": {"reference": f"Patient/{merged}"}, "type": "replaces"} in current["link"]
    assert [i["value"] for i in current["identifier"]] == [survivor, "TX1", "W1"]
    # A demographic search finds the child once: the survivor.
    found = http.get("/fhir/Patient", params={"family": "quintanilla"}, headers=headers).json()
    assert [entry["resource"]["id"] for entry in found["entry"]] == [survivor]


def test_refresh_is_idempotent(http: TestClient) -> None:
    rosa = _child(http, "TX", "TX1")
    store = store_of(http)
    now = datetime.now(UTC)
    assert store.call(refresh_patient, store, rosa, now=now) == []
    assert store.call(lambda: refresh_all_patients(store, now=now)) == 0
    assert store.call(store.fhir.read, "Patient", rosa).version_id == 1


def test_paging_over_1000_patients_returns_each_once_while_patients_are_added(
    http: TestClient,
) -> None:
    store = store_of(http)

    def load(count: int, prefix: str) -> list[str]:
        def create() -> list[str]:
            ids = []
            with store.engine.batch():
                for number in range(count):
                    child = store.students.create(
                        {
                            "links": [
                                {
                                    "state": "TX",
                                    "state_student_id": f"{prefix}{number:05d}",
                                    "identity": {
                                        "first_name": "Ana",
                                        "last_name_1": "Garcia",
                                        "sex": "Female",
                                        "birth_date": "2013-05-05",
                                    },
                                }
                            ]
                        }
                    )
                    refresh_patient(store, child["_id"], now=datetime.now(UTC))
                    ids.append(child["_id"])
            return ids

        return store.call(create)

    existing = set(load(1000, "P"))
    headers = token(http, READ_ALL)
    seen: list[str] = []
    stop = threading.Event()

    def keep_adding() -> None:
        batch = 0
        while not stop.is_set():
            load(10, f"N{batch:03d}-")
            batch += 1

    adder = threading.Thread(target=keep_adding)
    adder.start()
    try:
        url: str | None = "/fhir/Patient"
        params: dict[str, Any] | None = {
            "family": "garcia",
            "birthdate": "2013-05-05",
            "_count": 97,
        }
        pages = 0
        while url is not None:
            bundle = http.get(url, params=params, headers=headers).json()
            seen += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
            url = next((ln["url"] for ln in bundle["link"] if ln["relation"] == "next"), None)
            params = None
            pages += 1
    finally:
        stop.set()
        adder.join()
    assert len(seen) == len(set(seen)), "a Patient was returned twice"
    assert existing <= set(seen), f"{len(existing - set(seen))} Patients were skipped"
    assert pages >= 11

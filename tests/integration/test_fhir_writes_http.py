"""Vendor writes over HTTP: create, update, conditional create and update, delete; validation
first (422 with every issue, nothing changed), If-Match (412), own state only (403)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.fhir_data import (
    READ_ALL,
    add_child,
    example,
    immunization,
    store_of,
    token,
)

TX_WRITER = ["system/Immunization.write", "system/Condition.cud", *READ_ALL]


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def child(http: TestClient) -> str:
    return add_child(
        store_of(http),
        [("TX", "TX0004417")],
        first_name="Rosa",
        last_name_1="Quintanilla",
        sex="Female",
        birth_date="2014-03-09",
    )


def _tx(http: TestClient) -> dict[str, str]:
    return token(http, TX_WRITER, state="TX")


def _post(http: TestClient, resource: dict[str, Any], **headers: str) -> Any:
    body = {k: v for k, v in resource.items() if k != "id"}
    return http.post(
        "/fhir/Immunization", content=orjson.dumps(body), headers={**_tx(http), **headers}
    )


def _versions(http: TestClient, resource_id: str) -> int:
    store = store_of(http)
    return len(store.call(store.fhir.history, "Immunization", resource_id))


def test_create_stores_the_validated_resource_under_the_ingest_id(
    http: TestClient, child: str
) -> None:
    response = _post(http, immunization(child, "TX", "001"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"].endswith(f"/fhir/Immunization/{created['id']}/_history/1")
    read = http.get(f"/fhir/Immunization/{created['id']}", headers=_tx(http))
    assert read.json() == created
    # The same entry created again is refused rather than duplicated.
    again = _post(http, immunization(child, "TX", "001"))
    assert again.status_code == 409


def test_conditional_create_returns_the_existing_match_without_writing(
    http: TestClient, child: str
) -> None:
    condition = "identifier=urn:msix:state:TX:immunization|S001:001"
    first = _post(http, immunization(child, "TX", "001"), **{"If-None-Exist": condition})
    second = _post(http, immunization(child, "TX", "001"), **{"If-None-Exist": condition})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert _versions(http, first.json()["id"]) == 1


def test_an_invalid_write_answers_422_with_every_issue_and_changes_nothing(
    http: TestClient, child: str
) -> None:
    bad = example("Immunization-invalid-unknown-cvx-and-reference-type.json")
    bad["identifier"] = [{"system": "urn:msix:state:TX:immunization", "value": "S9:9"}]
    response = _post(http, bad)
    assert response.status_code == 422
    located = {issue["expression"][0] for issue in response.json()["issue"]}
    assert {
        "Immunization.vaccineCode.coding[0]",
        "Immunization.vaccineCode.coding[0].system",
        "Immunization.patient.reference",
    } <= located
    store = store_of(http)
    assert store.call(store.fhir.count, "Immunization", {}) == 0


def test_a_reference_to_an_unknown_child_is_refused(http: TestClient, child: str) -> None:
    response = _post(http, immunization("100000000017", "TX", "001"))
    assert response.status_code == 422
    rules = [issue["details"]["coding"][0]["code"] for issue in response.json()["issue"]]
    assert "msix-ref-1" in rules


def test_update_with_a_stale_if_match_is_412_and_a_fresh_one_succeeds(
    http: TestClient, child: str
) -> None:
    created = _post(http, immunization(child, "TX", "001")).json()
    changed = {**created, "lotNumber": "L1"}
    url = f"/fhir/Immunization/{created['id']}"
    ok = http.put(url, content=orjson.dumps(changed), headers={**_tx(http), "If-Match": 'W/"1"'})
    assert ok.status_code == 200
    assert ok.headers["etag"] == 'W/"2"'
    stale = http.put(
        url, content=orjson.dumps({**created, "lotNumber": "L2"}),
        headers={**_tx(http), "If-Match": 'W/"1"'},
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json()["resourceType"] == "OperationOutcome"
    assert http.get(url, headers=_tx(http)).json()["lotNumber"] == "L1"


def test_conditional_update_keys_on_the_identifier(http: TestClient, child: str) -> None:
    resource = {k: v for k, v in immunization(child, "TX", "001").items() if k != "id"}
    query = "identifier=urn:msix:state:TX:immunization|S001:001"
    created = http.put(
        f"/fhir/Immunization?{query}", content=orjson.dumps(resource), headers=_tx(http)
    )
    assert created.status_code == 201
    updated = http.put(
        f"/fhir/Immunization?{query}",
        content=orjson.dumps({**resource, "lotNumber": "L9"}),
        headers=_tx(http),
    )
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["meta"]["versionId"] == "2"


def test_another_state_may_neither_create_nor_change_nor_delete(
    http: TestClient, child: str
) -> None:
    created = _post(http, immunization(child, "TX", "001")).json()
    wa = token(http, TX_WRITER, state="WA")
    as_wa = {k: v for k, v in immunization(child, "TX", "002").items() if k != "id"}
    refused = http.post("/fhir/Immunization", content=orjson.dumps(as_wa), headers=wa)
    assert refused.status_code == 403
    url = f"/fhir/Immunization/{created['id']}"
    assert http.put(url, content=orjson.dumps(created), headers=wa).status_code == 403
    assert http.delete(url, headers=wa).status_code == 403
    # A WA resource carrying an id of TX's does not take TX's resource over either.
    takeover = immunization(child, "WA", "001")
    takeover["id"] = created["id"]
    assert http.put(url, content=orjson.dumps(takeover), headers=wa).status_code == 403
    assert _versions(http, created["id"]) == 1


def test_delete_hides_the_resource_and_keeps_its_history(http: TestClient, child: str) -> None:
    created = _post(http, immunization(child, "TX", "001")).json()
    url = f"/fhir/Immunization/{created['id']}"
    assert http.delete(url, headers=_tx(http)).status_code == 204
    assert http.get(url, headers=_tx(http)).status_code == 404
    history = http.get(f"{url}/_history", headers=_tx(http)).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    found = http.get("/fhir/Immunization", params={"patient": child}, headers=_tx(http)).json()
    assert "entry" not in found


def test_writes_need_write_scopes_and_patients_are_not_written(
    http: TestClient, child: str
) -> None:
    resource = {k: v for k, v in immunization(child, "TX", "001").items() if k != "id"}
    reader = token(http, READ_ALL, state="TX")
    denied = http.post("/fhir/Immunization", content=orjson.dumps(resource), headers=reader)
    assert denied.status_code == 403
    patient = http.post(
        "/fhir/Patient", content=orjson.dumps({"resourceType": "Patient"}), headers=_tx(http)
    )
    assert patient.status_code == 405
    assert patient.json()["resourceType"] == "OperationOutcome"

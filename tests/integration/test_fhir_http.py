"""The FHIR door over HTTP: $validate, published artifacts, metadata, read and vread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.config import Settings
from hub.fhir import PROFILES_DIR, search_projection
from hub.security import Jurisdiction, create_client, issue_token
from hub.store import SearchProjection, Store

FHIR_JSON = "application/fhir+json"
EXAMPLES = PROFILES_DIR / "examples"


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _store(http: TestClient) -> Store:
    store: Store = http.app.state.store  # type: ignore[attr-defined]
    return store


def _example(name: str) -> Any:
    return orjson.loads((EXAMPLES / name).read_bytes())


def _token(http: TestClient, scopes: list[str]) -> dict[str, str]:
    store = _store(http)
    settings: Settings = http.app.state.settings  # type: ignore[attr-defined]
    client, _ = store.call(
        lambda: create_client(
            store.clients,
            name="County clinic (synthetic)",
            scopes=scopes,
            jurisdiction=Jurisdiction(state="WA"),
            now=datetime.now(UTC),
        )
    )
    token = issue_token(client, [], settings, now=datetime.now(UTC)).access_token
    return {"Authorization": f"Bearer {token}"}


def _stored(http: TestClient, resource: dict[str, Any], if_match: int | None = None) -> int:
    projection = search_projection(resource)
    store = _store(http)
    stored = store.call(
        store.fhir.write,
        resource,
        SearchProjection(
            projection.identifiers, projection.patient, projection.date, projection.extra
        ),
        if_match=if_match,
    )
    return stored.version_id


def _outcome(response: Any) -> list[tuple[str, str, str | None]]:
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [
        (issue["severity"], issue["details"]["coding"][0]["code"] if "details" in issue else "",
         (issue.get("expression") or [None])[0])
        for issue in body["issue"]
    ]  # fmt: skip


def test_validate_locates_every_error_of_an_invalid_immunization(http: TestClient) -> None:
    body = _example("Immunization-invalid-unknown-cvx-and-reference-type.json")
    response = http.post("/fhir/Immunization/$validate", content=orjson.dumps(body))
    assert response.status_code == 200
    errors = [(rule, where) for severity, rule, where in _outcome(response) if severity == "error"]
    assert errors == [
        ("binding", "Immunization.vaccineCode.coding[0]"),
        ("cardinality", "Immunization.vaccineCode.coding[0].system"),
        ("reference-target", "Immunization.patient.reference"),
    ]


def test_validate_accepts_a_valid_condition_and_parameters_wrapping(http: TestClient) -> None:
    resource = _example("Condition-valid-asthma-problem.json")
    direct = http.post("/fhir/Condition/$validate", content=orjson.dumps(resource))
    wrapped = http.post(
        "/fhir/Condition/$validate",
        content=orjson.dumps(
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "resource", "resource": resource}],
            }
        ),
    )
    for response in (direct, wrapped):
        assert response.status_code == 200
        severities = {severity for severity, _, _ in _outcome(response)}
        assert severities == {"information"}


def test_validate_reports_a_type_mismatch_and_an_unknown_profile(http: TestClient) -> None:
    resource = _example("Condition-valid-asthma-problem.json")
    mismatch = http.post("/fhir/Immunization/$validate", content=orjson.dumps(resource))
    assert ("error", "fhir.type", "resourceType") in _outcome(mismatch)
    unknown = http.post(
        "/fhir/Condition/$validate",
        params={"profile": "https://example.org/StructureDefinition/other"},
        content=orjson.dumps(resource),
    )
    assert ("error", "profile", "profile") in _outcome(unknown)


def test_validate_answers_400_with_an_outcome_for_a_body_that_is_not_json(http: TestClient) -> None:
    response = http.post("/fhir/Patient/$validate", content=b"<Patient/>")
    assert response.status_code == 400
    assert _outcome(response)[0][0] == "error"


def test_the_profiles_value_sets_and_code_systems_are_served_as_published(
    http: TestClient,
) -> None:
    for kind, artifact_id in [
        ("StructureDefinition", "msix-immunization"),
        ("ValueSet", "msix-vaccines-cvx"),
        ("CodeSystem", "cvx"),
    ]:
        response = http.get(f"/fhir/{kind}/{artifact_id}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(FHIR_JSON)
        assert response.content == (PROFILES_DIR / f"{kind}-{artifact_id}.json").read_bytes()
    missing = http.get("/fhir/StructureDefinition/us-core-patient")
    assert missing.status_code == 404
    assert _outcome(missing)[0][0] == "error"


def test_metadata_is_the_capability_statement_naming_every_profile(http: TestClient) -> None:
    response = http.get("/fhir/metadata")
    assert response.status_code == 200
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    profiles = {
        resource["type"]: resource["supportedProfile"]
        for resource in statement["rest"][0]["resource"]
        if "supportedProfile" in resource
    }
    for kind, profile_urls in profiles.items():
        for url in profile_urls:
            artifact_id = url.rsplit("/", 1)[1]
            served = http.get(f"/fhir/StructureDefinition/{artifact_id}").json()
            assert served["type"] == kind


def test_read_serves_the_stored_json_with_etag_and_last_modified(http: TestClient) -> None:
    resource = _example("Immunization-valid-mmr-first-dose.json")
    _stored(http, resource)
    _stored(http, {**resource, "lotNumber": "L123"}, if_match=1)
    headers = _token(http, ["system/Immunization.read"])
    current = http.get(f"/fhir/Immunization/{resource['id']}", headers=headers)
    assert current.status_code == 200
    assert current.headers["content-type"].startswith(FHIR_JSON)
    assert current.headers["etag"] == 'W/"2"'
    assert parsedate_to_datetime(current.headers["last-modified"]).tzinfo is not None
    assert current.json()["lotNumber"] == "L123"
    assert current.json()["meta"]["versionId"] == "2"
    first = http.get(f"/fhir/Immunization/{resource['id']}/_history/1", headers=headers)
    assert first.status_code == 200
    assert first.headers["etag"] == 'W/"1"'
    assert "lotNumber" not in first.json()


def test_read_accepts_a_smart_v2_scope(http: TestClient) -> None:
    resource = _example("Condition-valid-asthma-problem.json")
    _stored(http, resource)
    headers = _token(http, ["system/Condition.rs"])
    assert http.get(f"/fhir/Condition/{resource['id']}", headers=headers).status_code == 200


def test_read_answers_outcomes_for_401_403_and_404(http: TestClient) -> None:
    resource = _example("Condition-valid-asthma-problem.json")
    _stored(http, resource)
    anonymous = http.get(f"/fhir/Condition/{resource['id']}")
    assert anonymous.status_code == 401
    assert _outcome(anonymous)[0][0] == "error"
    wrong_scope = http.get(
        f"/fhir/Condition/{resource['id']}", headers=_token(http, ["system/Immunization.read"])
    )
    assert wrong_scope.status_code == 403
    assert _outcome(wrong_scope)[0][2] == "scope"
    headers = _token(http, ["system/Condition.read"])
    missing = http.get("/fhir/Condition/does-not-exist", headers=headers)
    assert missing.status_code == 404
    assert _outcome(missing)[0][0] == "error"
    no_version = http.get(f"/fhir/Condition/{resource['id']}/_history/9", headers=headers)
    assert no_version.status_code == 404
    unserved = http.get("/fhir/Observation/1", headers=headers)
    assert unserved.status_code == 404


def test_reads_matched_first_leave_every_neighbouring_route_reachable(http: TestClient) -> None:
    # The read is registered ahead of the other routes (the hot path); paths that look like a
    # read but are not one must still reach their own routes.
    resource = _example("Condition-valid-asthma-problem.json")
    _stored(http, resource)
    headers = _token(http, ["system/Condition.read", "system/AuditEvent.read"])
    rid = resource["id"]
    answers = {
        f"/fhir/Condition/{rid}": (200, "Condition"),
        f"/fhir/Condition/{rid}/_history": (200, "Bundle"),
        f"/fhir/Condition/{rid}/_history/1": (200, "Condition"),
        "/fhir/Condition/_history": (200, "Bundle"),
        "/fhir/StructureDefinition/msix-condition": (200, "StructureDefinition"),
        "/fhir/CodeSystem/cvx": (200, "CodeSystem"),
        "/fhir/AuditEvent/none-such": (404, "OperationOutcome"),
        "/fhir/Observation/1": (404, "OperationOutcome"),
    }
    for path, (status, resource_type) in answers.items():
        response = http.get(path, headers=headers)
        assert (response.status_code, response.json()["resourceType"]) == (status, resource_type), (
            path
        )
    events = http.get("/fhir/AuditEvent", headers=headers).json()["entry"]
    event = http.get(f"/fhir/AuditEvent/{events[0]['resource']['id']}", headers=headers)
    assert (event.status_code, event.json()["resourceType"]) == (200, "AuditEvent")
    # A write to a read's path is not taken for a read either.
    put = http.put(f"/fhir/Condition/{rid}", headers=headers, content=b"{}")
    assert put.status_code in (400, 403, 422)
    assert put.json()["resourceType"] == "OperationOutcome"

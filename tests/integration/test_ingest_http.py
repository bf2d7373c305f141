"""POST /ingest and GET /ingest/{batch} through the real app: scopes, own state only, the
acknowledgement as JSON or XML, replays, size limits and FHIR resources that never duplicate."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.messages.safe_xml import load_schema, parse_xml, validate
from hub.security import Jurisdiction, create_client
from hub.store import Store
from hub.synth import iter_children

STATE = "TX"


@pytest.fixture(scope="module")
def tx_file() -> bytes:
    """Synthetic TX records (each with health entries as generated) as canonical JSON lines."""
    lines = [
        orjson.dumps(
            emitted.record.model_dump(mode="json", exclude_none=True),
            option=orjson.OPT_APPEND_NEWLINE,
        )
        for child in iter_children(5, 40, states=[STATE, "WA"])
        for emitted in child.records
        if emitted.record.student_id.state == STATE
    ]
    return b"".join(lines[:25])


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"max_request_bytes": 4096})
    with TestClient(create_app(limited)) as client:
        yield client


def _store(http: TestClient) -> Store:
    store: Store = http.app.state.store  # type: ignore[attr-defined]
    return store


def _token(http: TestClient, state: str = STATE, scopes: list[str] | None = None) -> dict[str, str]:
    store = _store(http)
    client_id = f"{state.lower()}-sis-{uuid.uuid4().hex[:8]}"
    _, secret = store.call(
        lambda: create_client(
            store.clients,
            name=f"{state} MEP system (synthetic)",
            scopes=scopes if scopes is not None else ["msix/ingest.write"],
            jurisdiction=Jurisdiction(state=state),
            now=datetime.now(UTC),
            client_id=client_id,
        )
    )
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = http.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _post(http: TestClient, body: bytes, headers: dict[str, str], **params: str) -> Any:
    query = {"state": STATE, "filename": "tx.jsonl", "format": "canonical-jsonl", **params}
    return http.post("/ingest", params=query, content=body, headers=headers)


def test_a_state_file_is_ingested_and_its_acknowledgement_can_be_read_again(
    http: TestClient, tx_file: bytes
) -> None:
    auth = _token(http)
    response = _post(http, tx_file, auth)

    assert response.status_code == 201, response.text
    ack = response.json()
    batch_id = f"{STATE}-{hashlib.sha256(tx_file).hexdigest()}"
    assert ack["batch_id"] == batch_id
    assert response.headers["location"] == f"/ingest/{batch_id}"
    assert ack["outcome"] == "accepted"
    assert ack["counts"]["stored"] == ack["counts"]["total"] == 25
    assert len(tx_file) > 4096  # larger than the ordinary request limit: uploads have their own

    again = http.get(response.headers["location"], headers=auth)
    assert again.status_code == 200
    assert again.json() == ack
    xml = http.get(response.headers["location"], headers={**auth, "Accept": "application/xml"})
    assert xml.headers["content-type"].startswith("application/xml")
    document = parse_xml(xml.content, max_bytes=1 << 20)
    assert validate(load_schema("ingest-acknowledgement.xsd"), document) == []

    events = _store(http).call(_store(http).audit.recent)
    assert any(event["subtype"][0]["code"] == "ingest" for event in events)


def test_the_same_file_again_is_answered_200_and_changes_nothing(
    http: TestClient, tx_file: bytes
) -> None:
    auth = _token(http)
    _post(http, tx_file, auth)
    store = _store(http)
    resources = store.call(lambda: store.engine.db["fhir_resources"].count_documents({}))
    assert resources > 0  # immunizations and conditions became FHIR resources
    versions = _fhir_versions(store)

    again = _post(http, tx_file, auth, filename="tx-again.jsonl")

    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert _fhir_versions(store) == versions
    assert store.call(lambda: store.engine.db["state_records"].count_documents({})) == 25


def test_a_resend_in_a_new_file_does_not_duplicate_health_resources(
    http: TestClient, tx_file: bytes
) -> None:
    auth = _token(http)
    _post(http, tx_file, auth)
    store = _store(http)
    before = store.call(lambda: store.engine.db["fhir_resources"].count_documents({}))

    resent = _post(http, tx_file + b"\n", auth, filename="tx-resend.jsonl")

    assert resent.status_code == 201
    assert resent.json()["counts"]["unchanged"] == 25
    assert store.call(lambda: store.engine.db["fhir_resources"].count_documents({})) == before
    # No new version of any of them: history keeps superseded versions, and there are none.
    assert _fhir_versions(store) == {1: before}


def _fhir_versions(store: Store) -> dict[int, int]:
    """How many FHIR resources are at each version, counting every kept version."""

    def read() -> dict[int, int]:
        found: dict[int, int] = {}
        for name in ("fhir_resources", "fhir_history"):
            for doc in store.engine.db[name].find({}, {"versionId": 1}):
                found[doc["versionId"]] = found.get(doc["versionId"], 0) + 1
        return found

    return store.call(read)


def test_a_client_may_not_submit_for_another_state(http: TestClient, tx_file: bytes) -> None:
    auth = _token(http, state="WA")

    response = _post(http, tx_file, auth)

    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "acts for WA" in response.json()["issue"][0]["diagnostics"]
    store = _store(http)
    assert store.call(lambda: store.engine.db["ingest_batches"].count_documents({})) == 0


def test_ingest_needs_the_ingest_scope_and_a_token(http: TestClient, tx_file: bytes) -> None:
    without_scope = _token(http, scopes=["system/Patient.read"])
    assert _post(http, tx_file, without_scope).status_code == 403
    assert _post(http, tx_file, {}).status_code == 401


def test_a_file_rejected_as_a_whole_is_422_with_its_acknowledgement(http: TestClient) -> None:
    response = _post(http, b"STUDENT_ID|NAME\n1|Ana\n", _token(http))

    assert response.status_code == 422
    ack = response.json()
    assert ack["outcome"] == "rejected"
    assert ack["file_issues"][0]["rule"] == "ingest.format"
    store = _store(http)
    assert store.call(lambda: store.engine.db["state_records"].count_documents({})) == 0


def test_an_unknown_format_is_refused_before_reading(http: TestClient, tx_file: bytes) -> None:
    response = _post(http, tx_file, _token(http), format="xlsx")
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["format"]


def test_an_upload_over_the_limit_is_413(settings: Settings, tmp_path: Path) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 2048})
    with TestClient(create_app(small)) as http:
        response = _post(http, b"x" * 4096, _token(http))
    assert response.status_code == 413
    assert not list((settings.data_dir / "uploads").glob("upload-*"))


def test_reading_an_unknown_or_foreign_batch(http: TestClient, tx_file: bytes) -> None:
    created = _post(http, tx_file, _token(http))
    location = created.headers["location"]

    assert http.get("/ingest/TX-unknown", headers=_token(http)).status_code == 404
    assert http.get(location, headers=_token(http, state="WA")).status_code == 403

"""Helpers for the XML message tests: clients and tokens, seeded children, messages sent.

Synthetic people only (`hub.synth`); every call goes through the real app and store.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.testclient import TestClient

from hub.messages.bodies import Body, message_type_of
from hub.messages.body_xml import body_element, read_body
from hub.messages.envelope import HUB, Header, Party, build_message, new_message_id, parse_message
from hub.model import StudentRecord
from hub.security import Jurisdiction, create_client
from hub.store import Store
from hub.synth import iter_children

MAX = 2 * 1024 * 1024
WRITE, READ, HEALTH = "msix/messages.write", "msix/messages.read", "msix/health.read"
XML = {"Content-Type": "application/xml"}


def store_of(http: TestClient) -> Store:
    store: Store = http.app.state.store  # type: ignore[attr-defined]
    return store


def token(http: TestClient, state: str, scopes: list[str]) -> dict[str, str]:
    """Authorization header of a new client of `state` holding `scopes`."""
    store = store_of(http)
    client_id = f"{state.lower()}-school-{uuid.uuid4().hex[:8]}"
    _, secret = store.call(
        lambda: create_client(
            store.clients,
            name=f"{state} school system (synthetic)",
            scopes=scopes,
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


def synthetic_records(state: str, count: int) -> list[StudentRecord]:
    found = [
        emitted.record
        for child in iter_children(11, 60, states=[state, "WA"])
        for emitted in child.records
        if emitted.record.student_id.state == state
    ]
    return found[:count]


def ingest(http: TestClient, records: list[StudentRecord]) -> None:
    state = records[0].student_id.state
    body = b"".join(
        orjson.dumps(r.model_dump(mode="json", exclude_none=True), option=orjson.OPT_APPEND_NEWLINE)
        for r in records
    )
    response = http.post(
        "/ingest",
        params={"state": state, "filename": "seed.jsonl", "format": "canonical-jsonl"},
        content=body,
        headers=token(http, state, ["msix/ingest.write"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["rejected"] == 0, response.text


def message(body: Body, state: str, *, message_id: str | None = None, **extra: Any) -> bytes:
    header = Header(
        message_id=message_id or new_message_id(),
        message_type=message_type_of(body),
        sender=Party(state, "urn:msix:nces-lea", f"{state}0001"),
        receiver=HUB,
        created=datetime.now(UTC),
        **extra,
    )
    return build_message(header, body_element(body))


def send(http: TestClient, data: bytes, headers: dict[str, str]) -> Any:
    return http.post("/messages", content=data, headers={**headers, **XML})


def answer(response: Any) -> Body:
    assert response.headers["content-type"].startswith("application/xml")
    return read_body(parse_message(response.content, max_bytes=MAX))


def msix_id_of(http: TestClient, record: StudentRecord) -> str:
    store = store_of(http)
    child = store.call(
        store.students.find_by_link, record.student_id.state, record.student_id.value
    )
    assert child is not None
    return str(child["_id"])

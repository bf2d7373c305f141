"""A hub with data to test against: a conformance client per state and a few synthetic
children ingested through the real /ingest door."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
import orjson
from fastapi import FastAPI

from hub.conformance import Credentials
from hub.security import Jurisdiction, create_client
from hub.store import Store
from hub.synth import iter_children

CONFORMANCE_SCOPES = [
    "system/*.rs",
    "system/Immunization.cud",
    "msix/messages.read",
    "msix/messages.write",
    "msix/health.read",
    "msix/ingest.write",
]


@dataclass(frozen=True)
class Seeded:
    client: Credentials
    destination: Credentials
    msix_id: str
    variables: dict[str, str]


def register(app: FastAPI, state: str, client_id: str) -> Credentials:
    store: Store = app.state.store
    _, secret = store.call(
        lambda: create_client(
            store.clients,
            name=f"{state} conformance tester (synthetic)",
            scopes=CONFORMANCE_SCOPES,
            jurisdiction=Jurisdiction(state=state),
            now=datetime.now(UTC),
            client_id=client_id,
        )
    )
    assert secret is not None
    return Credentials(client_id, secret)


def seed(app: FastAPI, http: httpx2.Client) -> Seeded:
    """Register TX and WA clients, ingest synthetic TX children, return what the suites need."""
    client = register(app, "TX", "conformance-tx")
    destination = register(app, "WA", "conformance-wa")
    lines = [
        orjson.dumps(emitted.record.model_dump(mode="json", exclude_none=True))
        for child in iter_children(7, 20, states=["TX"])  # 20: two of them have conditions
        for emitted in child.records
        if emitted.record.student_id.state == "TX"
    ]
    assert any(b'"conditions"' in line for line in lines)  # the Condition tests need data
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    token = http.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ).json()["access_token"]
    response = http.post(
        "/ingest",
        params={"state": "TX", "filename": "tx.jsonl", "format": "canonical-jsonl"},
        content=b"\n".join(lines) + b"\n",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    store: Store = app.state.store
    student = store.call(lambda: store.engine.db["students"].find_one({}))
    assert student is not None
    msix_id = str(student["_id"])
    return Seeded(client, destination, msix_id, {"msix_id": msix_id, "dest_state": "WA"})

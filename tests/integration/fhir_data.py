"""Synthetic children and health resources for the FHIR door's tests, written through the store
and `refresh_patient` (fast), plus tokens for clients of a given state and scopes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.config import Settings
from hub.fhir import PROFILES_DIR
from hub.security import Jurisdiction, create_client, issue_token
from hub.services.fhir_writes import projection_of
from hub.services.patients import refresh_patient
from hub.store import Store

EXAMPLES = PROFILES_DIR / "examples"
FHIR_JSON = "application/fhir+json"
READ_ALL = [
    "system/Patient.read",
    "system/Immunization.read",
    "system/Condition.read",
]


def store_of(http: TestClient | FastAPI) -> Store:
    """The open store of a test client's app (or of an app a live server has started)."""
    app = http if isinstance(http, FastAPI) else http.app
    store: Store = app.state.store  # type: ignore[attr-defined]
    return store


_TOKENS: dict[tuple[str, tuple[str, ...], str | None], dict[str, str]] = {}


def token(
    http: TestClient | FastAPI, scopes: list[str], state: str | None = "WA"
) -> dict[str, str]:
    """A bearer header of a client of `state` holding `scopes` (one client per data dir)."""
    store = store_of(http)
    app = http if isinstance(http, FastAPI) else http.app
    settings: Settings = app.state.settings  # type: ignore[attr-defined]
    key = (str(settings.data_dir), tuple(scopes), state)
    if key not in _TOKENS:
        _TOKENS[key] = _new_token(store, settings, scopes, state)
    return _TOKENS[key]


def _new_token(
    store: Store, settings: Settings, scopes: list[str], state: str | None
) -> dict[str, str]:
    client, _ = store.call(
        lambda: create_client(
            store.clients,
            name="County clinic (synthetic)",
            scopes=scopes,
            jurisdiction=Jurisdiction(state=state),
            now=datetime.now(UTC),
        )
    )
    access_token = issue_token(client, [], settings, now=datetime.now(UTC)).access_token
    return {"Authorization": f"Bearer {access_token}"}


def add_child(store: Store, links: list[tuple[str, str]], **identity: Any) -> str:
    """A consolidated child linked to `links` (state, state student id) with its Patient."""

    def create() -> str:
        child = store.students.create(
            {
                "links": [
                    {"state": state, "state_student_id": sid, "identity": identity}
                    for state, sid in links
                ],
                "identity": identity,
            }
        )
        refresh_patient(store, child["_id"], now=datetime.now(UTC))
        return str(child["_id"])

    return store.call(create)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((EXAMPLES / name).read_bytes())
    return loaded


def immunization(
    msix_id: str, state: str, record: str, *, cvx: str = "03", day: str = "2015-04-02"
) -> dict[str, Any]:
    resource = copy.deepcopy(example("Immunization-valid-mmr-first-dose.json"))
    resource["id"] = f"imm-{state}-{record}".lower()
    resource["identifier"] = [
        {"system": f"urn:msix:state:{state}:immunization", "value": f"S{record}:{record}"}
    ]
    resource["patient"] = {"reference": f"Patient/{msix_id}"}
    resource["vaccineCode"]["coding"] = [{"system": "http://hl7.org/fhir/sid/cvx", "code": cvx}]
    resource["occurrenceDateTime"] = day
    return resource


def condition(
    msix_id: str, state: str, record: str, *, category: str = "problem-list-item"
) -> dict[str, Any]:
    resource = copy.deepcopy(example("Condition-valid-asthma-problem.json"))
    resource["id"] = f"con-{state}-{record}".lower()
    resource["identifier"] = [
        {"system": f"urn:msix:state:{state}:condition", "value": f"S{record}:{record}"}
    ]
    resource["subject"] = {"reference": f"Patient/{msix_id}"}
    if category == "health-concern":
        resource["category"] = [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/core/CodeSystem/condition-category",
                        "code": "health-concern",
                    }
                ]
            }
        ]
    return resource


def put(store: Store, resource: dict[str, Any]) -> None:
    """Store a resource directly (as the ingest pipeline does after validating it)."""
    store.call(store.fhir.write, resource, projection_of(resource))

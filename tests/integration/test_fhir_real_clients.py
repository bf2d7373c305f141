"""The FHIR door through the client libraries clinics use, unchanged, against a real uvicorn
server: fhirclient (SMART on FHIR's Python client) and fhirpy (beda.software)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fhirclient import client as smart_client
from fhirclient.models.bundle import Bundle
from fhirclient.models.patient import Patient
from fhirpy import SyncFHIRClient

from tests.integration.fhir_data import READ_ALL, add_child, immunization, store_of, token

WRITER = [*READ_ALL, "system/Immunization.write"]


@pytest.fixture
def children(app: FastAPI, live_server: str) -> list[str]:
    # The live server has opened the app's store; its calls run on the store's own thread.
    return [
        add_child(
            store_of(app),
            [("TX", f"TX{number:04d}")],
            first_name=f"Nina{number}",
            last_name_1="Villanueva",
            sex="Female",
            birth_date="2015-01-02",
        )
        for number in range(23)
    ]


def _bearer(app: FastAPI, scopes: list[str]) -> str:
    return token(app, scopes, state="TX")["Authorization"]


def _fhirclient(live_server: str, bearer: str) -> Any:
    smart = smart_client.FHIRClient(
        settings={"app_id": "msix-test", "api_base": f"{live_server}/fhir"}
    )
    smart.server.session.headers["Authorization"] = bearer
    return smart


def test_fhirclient_reads_and_pages_through_a_search(
    app: FastAPI, live_server: str, children: list[str]
) -> None:
    smart = _fhirclient(live_server, _bearer(app, READ_ALL))
    patient = Patient.read(children[0], smart.server)
    assert patient.name[0].family == "Villanueva"
    assert patient.identifier[0].value == children[0]
    search = Patient.where(struct={"family": "villa", "_count": "5"})
    pages = list(search.perform_iter(smart.server))
    assert len(pages) == 5
    assert all(isinstance(page, Bundle) for page in pages)
    ids = [entry.resource.id for page in pages for entry in page.entry or []]
    assert sorted(ids) == sorted(children)


def test_fhirclient_conditional_create_through_the_post_query(
    app: FastAPI, live_server: str, children: list[str]
) -> None:
    smart = _fhirclient(live_server, _bearer(app, WRITER))
    resource = {k: v for k, v in immunization(children[0], "TX", "001").items() if k != "id"}
    path = "Immunization?identifier=urn:msix:state:TX:immunization|S001:001"
    first = smart.server.post_json(path, resource)
    second = smart.server.post_json(path, resource)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


def test_fhirpy_reads_searches_with_paging_and_creates_conditionally(
    app: FastAPI, live_server: str, children: list[str]
) -> None:
    client = SyncFHIRClient(f"{live_server}/fhir", authorization=_bearer(app, WRITER))
    patient = client.reference("Patient", children[1]).to_resource()
    assert patient["name"][0]["given"] == ["Nina1"]
    found = client.resources("Patient").search(family="villanueva").limit(4).fetch_all()
    assert sorted(p.id for p in found) == sorted(children)
    resource = client.resource(
        "Immunization", **{k: v for k, v in immunization(children[1], "TX", "002").items()
                           if k != "id"}
    )  # fmt: skip
    created, was_created = (
        client.resources("Immunization")
        .search(identifier="urn:msix:state:TX:immunization|S002:002")
        .get_or_create(resource)
    )
    again, created_again = (
        client.resources("Immunization")
        .search(identifier="urn:msix:state:TX:immunization|S002:002")
        .get_or_create(resource)
    )
    assert (was_created, created_again) == (True, False)
    assert created.id == again.id
    listed = client.resources("Immunization").search(patient=f"Patient/{children[1]}").fetch()
    assert [item.id for item in listed] == [created.id]

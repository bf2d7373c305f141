"""A deliberately broken server: each route breaks one published rule that a conformance check
verifies, so tests can show that every such check fails (the checks are not rubber stamps).

- FHIR answers `application/json` instead of `application/fhir+json`;
- Patient search ignores every search parameter and returns all Patients;
- searchset Bundles have no `self` link, and paging repeats a Patient across pages;
- one Patient carries an element FHIR does not define (an invalid resource);
- reads carry no ETag;
- POST /messages accepts anything, hostile XML and reused message ids included, and answers
  each copy of a message with a freshly minted reply (no replay).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from lxml import etree

_JSON = "application/json"  # wrong on purpose: FHIR JSON is application/fhir+json
_NS = "urn:msix:message:1"

PATIENTS: list[dict[str, Any]] = [
    {
        "resourceType": "Patient",
        "id": f"90000000000{n}",
        "identifier": [{"system": "urn:msix:msix-id", "value": f"90000000000{n}"}],
        "name": [{"family": f"Synthetic{n}", "given": ["Test"]}],
        "gender": "female",
        "birthDate": f"2014-05-0{n}",
    }
    for n in range(1, 6)
]
# An element FHIR R4 does not define: the models refuse it.
PATIENTS[0]["favouriteColour"] = "green"

CAPABILITY: dict[str, Any] = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "date": "2026-12-01",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["application/fhir+json"],
    "rest": [
        {
            "mode": "server",
            "resource": [
                {
                    "type": kind,
                    "interaction": [{"code": "read"}, {"code": "search-type"}],
                    "searchParam": [{"name": name, "type": "token"} for name in params],
                }
                for kind, params in (
                    ("Patient", ["_id", "identifier", "name", "birthdate", "gender"]),
                    ("Immunization", ["patient"]),
                    ("Condition", ["patient", "category"]),
                )
            ],
        }
    ],
}


def _bundle(resources: list[dict[str, Any]], next_url: str | None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"fullUrl": f"urn:x:{r['id']}", "resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]  # and no self link
    return bundle


def _ack(message_id: str | None) -> bytes:
    body = etree.Element(f"{{{_NS}}}Acknowledgement", nsmap={None: _NS})  # type: ignore[dict-item]
    for name, text in (
        ("Level", "Receipt"),
        ("Result", "Accepted"),
        ("AcknowledgedMessageId", message_id or f"urn:uuid:{uuid.uuid4()}"),
    ):
        etree.SubElement(body, f"{{{_NS}}}{name}").text = text
    digest = hashlib.sha256(
        etree.tostring(body, method="c14n", exclusive=True, with_comments=False)
    ).hexdigest()
    now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    header = (
        f"<Header><MessageId>urn:uuid:{uuid.uuid4()}</MessageId>"
        + (f"<InReplyTo>{message_id}</InReplyTo>" if message_id else "")
        + "<MessageType>Acknowledgement</MessageType><MessageVersion>1.0</MessageVersion>"
        '<Sender><Organization system="urn:msix:hub">MSIX</Organization></Sender>'
        '<Receiver><Organization system="urn:msix:hub">MSIX</Organization></Receiver>'
        f"<Created>{now}</Created><Environment>T</Environment><AckRequested>Never</AckRequested>"
        f'<PayloadDigest algorithm="SHA-256">{digest}</PayloadDigest></Header>'
    )
    body_text = etree.tostring(body, encoding="unicode")
    return f'<Message xmlns="{_NS}">{header}<Body>{body_text}</Body></Message>'.encode()


def create_broken_app() -> FastAPI:
    app = FastAPI()

    @app.post("/auth/token")
    async def token() -> dict[str, Any]:
        return {"access_token": "broken", "token_type": "bearer", "expires_in": 3600}

    @app.get("/auth/whoami")
    async def whoami() -> dict[str, Any]:
        return {"kind": "client", "id": "broken-client", "jurisdiction": "TX", "scopes": []}

    @app.get("/fhir/metadata")
    async def metadata() -> JSONResponse:
        return JSONResponse(CAPABILITY, media_type=_JSON)

    @app.get("/fhir/Patient")
    async def search_patients(request: Request) -> JSONResponse:
        # Every parameter is ignored except paging, which repeats the last Patient of a page.
        count = int(request.query_params.get("_count", "100"))
        offset = int(request.query_params.get("_offset", "0"))
        page = PATIENTS[offset : offset + count]
        following = None
        if offset + count < len(PATIENTS):
            repeat = offset + count - 1
            following = f"{request.base_url}fhir/Patient?_count={count}&_offset={repeat}"
        return JSONResponse(_bundle(page, following), media_type=_JSON)

    @app.get("/fhir/Patient/{patient_id}")
    async def read_patient(patient_id: str) -> JSONResponse:
        found = next((p for p in PATIENTS if p["id"] == patient_id), None)
        if found is None:
            return JSONResponse({"detail": "nope"}, status_code=404)
        return JSONResponse({**found, "meta": {"versionId": "1"}}, media_type=_JSON)

    @app.get("/fhir/{kind}")
    async def search_other(kind: str) -> JSONResponse:
        return JSONResponse(_bundle([], None), media_type=_JSON)

    @app.post("/messages")
    async def messages(request: Request) -> Response:
        data = await request.body()
        message_id = None
        try:
            # Any well-formed XML is taken, DOCTYPE and all: this server is the counter-example.
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            root = etree.fromstring(data, parser)
            found = root.find(f"{{{_NS}}}Header/{{{_NS}}}MessageId")
            message_id = found.text if found is not None else None
        except etree.XMLSyntaxError:
            pass
        return Response(_ack(message_id), media_type="application/xml")

    @app.get("/messages")
    async def mailbox() -> Response:
        return Response(f'<Mailbox xmlns="{_NS}" mailbox="TX" more="false"/>', media_type=_JSON)

    return app

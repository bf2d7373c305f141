"""Named checks one by one on made-up responses: each passes on a conforming answer, fails on a
broken one and skips when there is nothing to look at."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from hub.conformance import CHECKS, Status, decide
from hub.conformance._session import Response, Sent, Session
from hub.conformance._variables import Variables
from hub.conformance.checks import StepView


def _response(body: Any, media_type: str = "application/fhir+json", **headers: str) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(
        200, httpx2.Headers({"content-type": media_type, **headers}), content, "http://t/x"
    )


def _view(response: Response, earlier: dict[str, Response] | None = None) -> StepView:
    session = Session(httpx2.Client(base_url="http://t"), None)
    return StepView(response, Sent("GET", "http://t/x", b""), session, Variables(), earlier or {})


def _status(name: str, response: Response, params: Any, **earlier: Response) -> Status:
    spec = CHECKS[name]
    view = _view(response, earlier)
    return decide(lambda: spec.run(view, spec.normalise(params))).status


def _searchset(*resources: dict[str, Any], links: bool = True) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if links:
        bundle["link"] = [{"relation": "self", "url": "http://t/fhir/Patient"}]
    return bundle


PATIENT = {
    "resourceType": "Patient",
    "id": "123456789012",
    "identifier": [{"system": "urn:msix:msix-id", "value": "123456789012"}],
    "name": [{"family": "Synthetic", "given": ["Ana"]}],
    "gender": "female",
    "birthDate": "2014-05-01",
}
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "not-found", "expression": ["Patient.id"]}],
}


@pytest.mark.parametrize(
    ("name", "body", "params", "expected"),
    [
        ("json_equals", {"a": {"b": 1}}, {"path": "a.b", "value": 1}, Status.PASS),
        ("json_equals", {"a": {"b": 2}}, {"path": "a.b", "value": 1}, Status.FAIL),
        ("json_equals", {"a": {}}, {"path": "a.b", "value": 1}, Status.FAIL),
        ("json_contains", {"x": [1, 2]}, {"path": "x[*]", "value": 2}, Status.PASS),
        ("json_count", {"entry": [1, 2, 3]}, {"path": "entry[*]", "max": 2}, Status.FAIL),
        ("json_absent", {"entry": []}, "entry", Status.FAIL),
        ("fhir_bundle", _searchset(PATIENT), "searchset", Status.PASS),
        ("fhir_bundle", _searchset(PATIENT, links=False), "searchset", Status.FAIL),
        ("fhir_bundle", {"resourceType": "Patient"}, "searchset", Status.FAIL),
        (
            "fhir_entries_match",
            _searchset(PATIENT),
            {"resource_type": "Patient", "path": "identifier[*].value", "value": "123456789012"},
            Status.PASS,
        ),
        (
            "fhir_entries_match",
            _searchset(PATIENT, {**PATIENT, "id": "2", "identifier": [{"value": "other"}]}),
            {"path": "identifier[*].value", "value": "123456789012"},
            Status.FAIL,
        ),
        ("fhir_entries_match", _searchset(), {"resource_type": "Patient"}, Status.SKIP),
        ("fhir_resources_valid", PATIENT, None, Status.PASS),
        ("fhir_resources_valid", {**PATIENT, "favouriteColour": "green"}, None, Status.FAIL),
        ("fhir_resources_valid", _searchset(), None, Status.SKIP),
        ("fhir_operation_outcome", OUTCOME, {"code": "not-found", "expression": True}, Status.PASS),
        ("fhir_operation_outcome", {"detail": "Not Found"}, None, Status.FAIL),
        (
            "fhir_operation_outcome",
            {**OUTCOME, "issue": [{"severity": "error", "code": "x"}]},
            {"expression": True},
            Status.FAIL,
        ),
        ("fhir_paging", _searchset(PATIENT), None, Status.SKIP),
        (
            "fhir_must_support",
            _searchset(PATIENT),
            {"type": "Patient", "paths": ["telecom"]},
            Status.FAIL,
        ),
        ("fhir_must_support", _searchset(), {"type": "Patient", "paths": ["name"]}, Status.SKIP),
    ],
)
def test_json_and_fhir_checks(name: str, body: Any, params: Any, expected: Status) -> None:
    assert _status(name, _response(body), params) is expected


def test_content_type_compares_the_media_type_only() -> None:
    fhir = _response(PATIENT, "application/fhir+json; charset=utf-8")

    assert _status("content_type", fhir, "application/fhir+json") is Status.PASS
    assert (
        _status("content_type", _response(PATIENT, "application/json"), "application/fhir+json")
        is Status.FAIL
    )


def test_a_body_that_is_not_json_fails_json_checks() -> None:
    assert _status("json_present", _response(b"<html/>", "text/html"), "id") is Status.FAIL


def test_etag_must_be_the_weak_version_of_the_resource() -> None:
    versioned = {**PATIENT, "meta": {"versionId": "3"}}

    assert _status("fhir_etag", _response(versioned, etag='W/"3"'), None) is Status.PASS
    assert _status("fhir_etag", _response(versioned, etag='W/"2"'), None) is Status.FAIL
    assert _status("fhir_etag", _response(versioned), None) is Status.FAIL


def test_parity_checks_compare_with_an_earlier_step() -> None:
    one, two = _response(_searchset(PATIENT)), _response(_searchset({**PATIENT, "id": "9"}))

    assert (
        _status("fhir_same_entries_as", one, "get", get=_response(_searchset(PATIENT)))
        is Status.PASS
    )
    assert _status("fhir_same_entries_as", two, "get", get=one) is Status.FAIL
    assert _status("same_body_as", one, "get", get=one) is Status.PASS
    assert _status("same_body_as", one, "get") is Status.SKIP


def test_paging_follows_next_links_and_catches_a_repeated_resource() -> None:
    pages = {
        "/p2": _searchset({**PATIENT, "id": "2"}),
        "/p3": _searchset({**PATIENT, "id": "2"}),
    }
    pages["/p2"]["link"].append({"relation": "next", "url": "http://t/p3"})

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/auth/token":
            return httpx2.Response(200, json={"access_token": "t"})
        return httpx2.Response(200, json=pages[request.url.path])

    from hub.conformance import Credentials

    first = _searchset(PATIENT)
    first["link"].append({"relation": "next", "url": "http://t/p2"})
    http = httpx2.Client(base_url="http://t", transport=httpx2.MockTransport(handler))
    view = StepView(
        _response(first), Sent("GET", "", b""), Session(http, Credentials("c", "s")), Variables()
    )
    verdict = decide(lambda: CHECKS["fhir_paging"].run(view, {}))

    assert verdict.status is Status.FAIL
    assert "Patient/2 appears on page 2 and again on page 3" in verdict.message
    assert len(view.exchanges) == 2


def _message(
    kind: str, body: str, in_reply_to: str = "urn:uuid:00000000-0000-0000-0000-000000000001"
) -> bytes:
    from hub.conformance._envelope import build_message

    data, _ = build_message({"type": kind, "body": body, "in_reply_to": in_reply_to})
    return data


def test_message_checks_validate_envelopes_and_recognise_refusals() -> None:
    ack = _message(
        "Acknowledgement",
        '<Acknowledgement xmlns="urn:msix:message:1"><Level>Receipt</Level>'
        "<Result>Accepted</Result><AcknowledgedMessageId>urn:uuid:00000000-0000-0000-0000-000000000001</AcknowledgedMessageId>"
        "</Acknowledgement>",
    )
    refusal = _message(
        "Error",
        '<Error xmlns="urn:msix:message:1"><Type>Duplicate</Type><Issues><Issue><Severity>error'
        "</Severity><Code>duplicate</Code><Message>reused</Message></Issue></Issues></Error>",
    )
    accepted = _response(ack, "application/xml")
    refused = Response(409, httpx2.Headers({"content-type": "application/xml"}), refusal, "x")

    assert _status("message_valid", accepted, None) is Status.PASS
    assert (
        _status(
            "message_valid",
            _response(ack.replace(b"Receipt", b"Whenever"), "application/xml"),
            None,
        )
        is Status.FAIL
    )
    assert _status("message_refused", refused, {"error_type": "Duplicate"}) is Status.PASS
    assert _status("message_refused", refused, {"error_type": "Expired"}) is Status.FAIL
    assert _status("message_refused", accepted, None) is Status.FAIL
    assert (
        _status(
            "xml_equals", accepted, {"path": "Body/Acknowledgement/Result", "value": "Accepted"}
        )
        is Status.PASS
    )
    assert _status("xml_valid", accepted, "message-envelope.xsd") is Status.PASS


def test_a_digest_that_does_not_match_the_body_fails_message_valid() -> None:
    from hub.conformance._envelope import build_message

    data, _ = build_message({"body": '<Ping xmlns="urn:msix:message:1"/>', "digest": "wrong"})

    assert _status("message_valid", _response(data, "application/xml"), None) is Status.FAIL

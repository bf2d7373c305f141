"""The runner against a scripted transport: captures feed later steps, missing data skips,
transport failures err, unclaimed features are omitted, and every request is logged."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest

from hub.conformance import Credentials, RunResult, Status, parse_suite, run_suites

SUITE = """\
suite: unit
title: Unit
version: "1.0"
description: Runner behaviour.
variables: {base: /fhir}
groups:
  - id: main
    title: Main
    tests:
      - id: find
        title: Find
        description: Captures an id.
        requirements: []
        steps:
          - id: search
            request: {method: GET, path: "${base}/Patient"}
            capture:
              pid: {json: "entry[0].resource.id"}
              ref: {json: "entry[0].resource.link", strip_prefix: Patient/}
            checks:
              - status: 200
      - id: read
        title: Read
        description: Uses the captured id.
        requirements: [r1]
        steps:
          - id: read
            request: {method: GET, path: "${base}/Patient/${pid}"}
            checks:
              - status: 200
              - json_equals: {path: id, value: "${pid}"}
      - id: linked
        title: Linked
        description: Uses a value whose prefix was stripped.
        requirements: [r2]
        steps:
          - id: read
            request: {method: GET, path: "${base}/Patient/${ref}"}
            checks:
              - status: 200
      - id: claimed
        title: Claimed
        description: Omitted unless claimed.
        requirements: [r3]
        requires: [{resource: Patient, search_param: birthdate}]
        steps:
          - id: search
            request: {method: GET, path: "${base}/Patient", params: {birthdate: "2014"}}
            checks:
              - status: 200
"""

Handler = Callable[[httpx2.Request], httpx2.Response]


def _bundle(*ids: str) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": i, "link": "Patient/p9"}} for i in ids
        ],
    }


def _server(found: list[str], claims: list[str]) -> Handler:
    def handle(request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/auth/token":
            return httpx2.Response(200, json={"access_token": "t", "expires_in": 60})
        if path == "/fhir/metadata":
            params = [{"name": name} for name in claims]
            rest = [{"mode": "server", "resource": [{"type": "Patient", "searchParam": params}]}]
            return httpx2.Response(200, json={"resourceType": "CapabilityStatement", "rest": rest})
        if path == "/fhir/Patient":
            return httpx2.Response(200, json=_bundle(*found))
        if path.startswith("/fhir/Patient/"):
            if request.headers.get("authorization") != "Bearer t":
                return httpx2.Response(401)
            return httpx2.Response(
                200, json={"resourceType": "Patient", "id": path.rsplit("/")[-1]}
            )
        return httpx2.Response(404)

    return handle


def _run(handler: Handler, **kwargs: object) -> RunResult:
    from hub.conformance import Requirement

    requirements = {k: Requirement(k, "unit", "SHALL", f"{k}.") for k in ("r1", "r2", "r3")}
    suite = parse_suite(SUITE, "unit.yaml", requirements)
    with httpx2.Client(transport=httpx2.MockTransport(handler), base_url="http://unit") as http:
        return run_suites(
            [suite],
            http,
            target="http://unit",
            requirements=requirements,
            credentials=Credentials("c", "s"),
            **kwargs,  # type: ignore[arg-type]
        )


def test_a_value_captured_by_one_test_is_used_by_the_next() -> None:
    run = _run(_server(["p1", "p2"], ["birthdate"]))

    assert [t.status for t in run.tests] == [Status.PASS] * 4
    assert run.test("read").steps[0].exchanges[0].url == "http://unit/fhir/Patient/p1"
    assert run.test("linked").steps[0].exchanges[0].url == "http://unit/fhir/Patient/p9"
    assert not run.failed


def test_a_test_without_data_is_skipped_with_the_reason() -> None:
    run = _run(_server([], ["birthdate"]))

    skipped = run.test("read")
    assert skipped.status is Status.SKIP
    assert "variable 'pid'" in skipped.message
    assert "find/search (status 200) had nothing at json entry[0].resource.id" in skipped.message
    assert not run.failed


def test_a_feature_the_server_does_not_claim_is_omitted_before_anything_is_sent() -> None:
    run = _run(_server(["p1"], []))

    omitted = run.test("claimed")
    assert omitted.status is Status.OMIT
    assert "does not claim the search parameter birthdate" in omitted.message
    assert omitted.steps == []


def test_a_fixed_variable_wins_over_a_capture() -> None:
    run = _run(_server(["p1"], []), variables={"pid": "chosen"})

    assert run.test("read").steps[0].exchanges[0].url.endswith("/Patient/chosen")


def test_a_transport_failure_is_an_error_and_fails_the_run() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/auth/token":
            return httpx2.Response(200, json={"access_token": "t"})
        raise httpx2.ConnectError("connection refused")

    run = _run(refuse)

    assert run.test("find").status is Status.ERROR
    assert "ConnectError" in run.test("find").message
    assert run.test("find").steps[0].exchanges[0].error
    assert run.failed


def test_a_refused_token_errs_rather_than_failing_the_server_check() -> None:
    run = _run(lambda request: httpx2.Response(401, json={"error": "invalid_client"}))

    assert run.test("find").status is Status.ERROR
    assert "invalid_client" in run.test("find").message


def test_the_authorization_header_is_redacted_in_the_log() -> None:
    run = _run(_server(["p1"], ["birthdate"]))

    logged = run.test("read").steps[0].exchanges[0]
    assert logged.request_headers["Authorization"] == "[redacted]"
    assert json.loads(logged.response_body)["id"] == "p1"


def test_coverage_says_which_requirements_were_tested_and_why_others_were_not() -> None:
    run = _run(_server([], []))
    coverage = {item.requirement.id: item for item in run.coverage()}

    assert coverage["r1"].status == "untested"
    assert "skip" in coverage["r1"].reason
    assert coverage["r3"].status == "untested"
    assert "omit" in coverage["r3"].reason


@pytest.mark.parametrize("only", [{"find"}, {"find", "read"}])
def test_only_the_chosen_tests_run(only: set[str]) -> None:
    run = _run(_server(["p1"], []), only=only)

    assert {t.id for t in run.tests} == only

"""The suites against a deliberately broken server: each check that verifies a broken rule
fails, which shows the checks can fail (tests/conformance/broken_server.py says what is broken)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub.conformance import (
    CONFORMANCE_DIR,
    Credentials,
    RunResult,
    Status,
    load_requirements,
    load_suites,
    run_suites,
)
from tests.conformance.broken_server import create_broken_app


@pytest.fixture(scope="module")
def broken_run() -> Iterator[RunResult]:
    requirements = load_requirements()
    suites = load_suites(
        [CONFORMANCE_DIR / "fhir.yaml", CONFORMANCE_DIR / "messages.yaml"], requirements
    )
    with TestClient(create_broken_app()) as http:
        yield run_suites(
            suites,
            http,
            target="http://testserver",
            requirements=requirements,
            credentials=Credentials("broken-client", "irrelevant"),
        )


def _statuses(run: RunResult, test_id: str, check: str) -> list[Status]:
    return [result.status for result in run.test(test_id).check(check)]


@pytest.mark.parametrize(
    ("test_id", "check", "broken_rule"),
    [
        ("fhir-find-patient", "content_type", "application/json instead of FHIR JSON"),
        ("fhir-read-patient", "content_type", "application/json instead of FHIR JSON"),
        ("fhir-find-patient", "fhir_bundle", "searchset without a self link"),
        ("fhir-paging-patients", "fhir_paging", "no self link and a Patient repeated"),
        ("fhir-find-patient", "fhir_resources_valid", "an element FHIR does not define"),
        ("fhir-read-patient", "fhir_resources_valid", "an element FHIR does not define"),
        ("fhir-search-patient-identifier", "fhir_entries_match", "identifier is ignored"),
        ("fhir-search-patient-id", "json_count", "_id is ignored"),
        ("fhir-search-patient-id", "fhir_entries_match", "_id is ignored"),
        ("fhir-read-patient", "fhir_etag", "no ETag"),
        ("msg-duplicate-id", "message_refused", "a reused MessageId is accepted"),
        ("msg-replay", "same_body_as", "a retry gets a new answer"),
        ("msg-hostile-xxe-file", "message_refused", "a DOCTYPE is accepted"),
        ("msg-hostile-billion-laughs", "message_refused", "entity bombs are accepted"),
        ("msg-sender-jurisdiction", "message_refused", "any sender is accepted"),
        ("msg-mailbox", "content_type", "a Mailbox sent as JSON"),
    ],
)
def test_each_check_fails_against_the_server_that_breaks_its_rule(
    broken_run: RunResult, test_id: str, check: str, broken_rule: str
) -> None:
    statuses = _statuses(broken_run, test_id, check)

    assert Status.FAIL in statuses, f"{check} in {test_id} did not catch: {broken_rule}"
    assert broken_run.test(test_id).status is Status.FAIL


def test_the_broken_server_fails_the_run_but_never_errs(broken_run: RunResult) -> None:
    assert broken_run.failed
    assert broken_run.counts()["error"] == 0, [
        (t.id, t.message) for t in broken_run.tests if t.status is Status.ERROR
    ]


def test_what_the_broken_server_does_right_still_passes(broken_run: RunResult) -> None:
    # The checks are not fail-everything switches: the CapabilityStatement body is fine, and so
    # are the SMART-free token and the JSON-path checks on a body that holds what they look for.
    assert _statuses(broken_run, "fhir-capability-statement", "status") == [Status.PASS]
    assert _statuses(broken_run, "fhir-capability-statement", "capability_statement") == [
        Status.PASS
    ]
    assert broken_run.test("fhir-token").status is Status.PASS
    assert _statuses(broken_run, "fhir-read-patient", "json_equals") == [Status.PASS]

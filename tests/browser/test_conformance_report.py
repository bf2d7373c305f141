"""The HTML conformance report opens in Chromium, offline, with its summary and coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request

from hub.conformance import (
    CheckResult,
    Requirement,
    RunResult,
    Status,
    StepResult,
    TestResult,
    write_reports,
)


def _test(test_id: str, status: Status, requirement: str, message: str = "") -> TestResult:
    check = CheckResult("status", {"code": 200}, status, message)
    return TestResult(
        test_id,
        f"Title of {test_id}",
        "What it verifies.",
        (requirement,),
        "fhir",
        "read",
        status,
        message,
        [StepResult("read", status, message, checks=[check])],
    )


@pytest.fixture
def report(tmp_path: Path) -> Path:
    run = RunResult(
        title="MSIX Hub conformance",
        target="http://127.0.0.1:9",
        suites=["fhir"],
        started="2026-12-01T00:00:00Z",
        finished="2026-12-01T00:00:02Z",
        tests=[
            _test("fhir-read-patient", Status.PASS, "fhir-read-patient"),
            _test("fhir-paging-patients", Status.FAIL, "fhir-paging", "page 2 repeats Patient/1"),
            _test("fhir-search-immunization-date", Status.OMIT, "fhir-search-imm", "not claimed"),
        ],
        requirements=[
            Requirement("fhir-read-patient", "issue #5", "SHALL", "A Patient is readable."),
            Requirement("fhir-paging", "issue #5", "SHALL", "Paging returns each once."),
            Requirement("fhir-search-imm", "issue #5", "SHOULD", "Search by date."),
            Requirement("fhir-export", "issue #5", "SHALL", "Bulk export.", "not modelled yet"),
        ],
    )
    return write_reports(run, tmp_path)[2]


def test_chromium_shows_the_summary_and_the_requirement_coverage(page: Page, report: Path) -> None:
    outside: list[str] = []

    def remember(request: Request) -> None:
        if not request.url.startswith("file://"):
            outside.append(request.url)

    page.on("request", remember)
    page.goto(report.as_uri())

    summary = page.locator("#summary")
    assert "3\ntests" in summary.inner_text()
    assert "1\nfail" in summary.inner_text()
    assert "2/4" in summary.inner_text()  # requirements tested
    rows = page.locator("#coverage tr.requirement")
    assert rows.count() == 4
    export = page.locator("#req-fhir-export")
    assert "untested" in export.inner_text().lower()
    assert "not modelled yet" in export.inner_text()
    assert "omit: not claimed" in page.locator("#req-fhir-search-imm").inner_text()
    # A failed test opens by itself; a link in the coverage table leads to it.
    assert page.locator("#test-fhir-paging-patients").get_attribute("open") is not None
    page.locator("#req-fhir-paging a").click()
    assert page.url.endswith("#test-fhir-paging-patients")
    assert outside == []

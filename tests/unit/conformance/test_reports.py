"""The three reports of one run, parsed back: JUnit by lxml, results.json by json, the HTML page
for its sections and for having nothing it would fetch from elsewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from hub.conformance import (
    CheckResult,
    Exchange,
    Requirement,
    RunResult,
    Status,
    StepResult,
    TestResult,
    render_html,
    write_reports,
)


def _test(
    test_id: str, status: Status, requirements: tuple[str, ...], message: str = ""
) -> TestResult:
    exchange = Exchange(
        "GET",
        "http://hub.test/fhir/Patient?name=<script>",
        {"Authorization": "[redacted]"},
        "",
        status=200,
        response_headers={"content-type": "application/fhir+json"},
        response_body='{"resourceType": "Bundle"}',
    )
    check = CheckResult("status", {"code": 200}, status, message)
    return TestResult(
        id=test_id,
        title=f"Title of {test_id}",
        description="What it verifies.",
        requirements=requirements,
        suite="fhir",
        group="search",
        status=status,
        message=message,
        steps=[StepResult("search", status, message, [exchange], [check])],
        duration_ms=12.5,
    )


@pytest.fixture
def run() -> RunResult:
    requirements = [
        Requirement("req-pass", "issue #5", "SHALL", "Passes."),
        Requirement("req-fail", "issue #5", "SHALL", "Fails."),
        Requirement("req-skip", "issue #5", "SHOULD", "Skipped."),
        Requirement("req-none", "issue #6", "MAY", "Nobody tests it.", "needs a second client"),
    ]
    return RunResult(
        title="Unit run",
        target="http://hub.test",
        suites=["fhir"],
        started="2026-12-01T00:00:00Z",
        finished="2026-12-01T00:00:01Z",
        tests=[
            _test("t-pass", Status.PASS, ("req-pass",)),
            _test("t-fail", Status.FAIL, ("req-fail", "req-pass"), "status 500, expected 200"),
            _test("t-skip", Status.SKIP, ("req-skip",), "no data: nothing found"),
            _test("t-omit", Status.OMIT, ("req-skip",), "not applicable"),
            _test("t-error", Status.ERROR, ("req-pass",), "ConnectError: refused"),
        ],
        requirements=requirements,
        manifest={"engine": "unit"},
    )


def test_junit_counts_and_case_outcomes_parse_back(run: RunResult, tmp_path: Path) -> None:
    junit, _, _ = write_reports(run, tmp_path)
    root = etree.parse(str(junit)).getroot()

    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "1",
        "1",
        "2",
    )
    cases = {
        case.xpath("string(properties/property[@name='id']/@value)"): case
        for case in root.iter("testcase")
    }
    assert cases["t-fail"].find("failure").get("message") == "status 500, expected 200"  # type: ignore[union-attr]
    assert cases["t-error"].find("error") is not None
    assert cases["t-omit"].find("skipped").get("message") == "omit: not applicable"  # type: ignore[union-attr]
    assert cases["t-pass"].find("failure") is None
    requirements = [
        p.get("value") for p in cases["t-fail"].iter("property") if p.get("name") == "requirement"
    ]
    assert requirements == ["req-fail", "req-pass"]


def test_results_json_holds_tests_logs_coverage_and_manifest(
    run: RunResult, tmp_path: Path
) -> None:
    _, results, _ = write_reports(run, tmp_path)
    data = json.loads(results.read_text(encoding="utf-8"))

    assert data["status"] == "error"
    assert data["summary"] == {"pass": 1, "fail": 1, "skip": 1, "omit": 1, "error": 1}
    failed = next(test for test in data["tests"] if test["id"] == "t-fail")
    exchange = failed["steps"][0]["exchanges"][0]
    assert exchange["request"]["headers"]["Authorization"] == "[redacted]"
    assert exchange["response"]["status"] == 200
    coverage = {item["id"]: item for item in data["requirements"]}
    assert coverage["req-pass"]["status"] == "error"
    assert coverage["req-fail"]["status"] == "fail"
    assert coverage["req-skip"]["status"] == "untested"
    assert "t-skip skip: no data" in coverage["req-skip"]["reason"]
    assert coverage["req-none"] == {
        "id": "req-none",
        "source": "issue #6",
        "level": "MAY",
        "text": "Nobody tests it.",
        "status": "untested",
        "tests": [],
        "reason": "needs a second client",
    }
    assert data["manifest"] == {"engine": "unit"}


def _nodes(document: etree._Element, path: str) -> list[object]:
    found = document.xpath(path)
    assert isinstance(found, list)
    return list(found)


def test_the_html_page_is_self_contained_and_escapes_what_servers_sent(run: RunResult) -> None:
    page = render_html(run)
    document = etree.fromstring(page.encode(), etree.HTMLParser())

    assert _nodes(document, "//section[@id='summary']")
    assert len(_nodes(document, "//section[@id='coverage']//tr[@class='requirement']")) == 4
    assert len(_nodes(document, "//details[@class='test']")) == 5
    assert "<script>" not in page  # the request URL held one; it is shown escaped
    assert "name=&lt;script&gt;" in page
    external = [
        value for value in _nodes(document, "//@src | //@href") if not str(value).startswith("#")
    ]
    assert external == []
    assert not re.search(r"url\(\s*['\"]?http", page)
    assert "needs a second client" in page

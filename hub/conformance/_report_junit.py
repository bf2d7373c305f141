"""JUnit XML, as CI systems read it: a testsuite per suite, a testcase per test; fail is a
<failure>, error an <error>, skip and omit a <skipped> whose message says which and why."""

from __future__ import annotations

from itertools import groupby

from lxml import etree

from hub.conformance._outcomes import Status
from hub.conformance._results import RunResult, TestResult


def render_junit(run: RunResult) -> bytes:
    root = etree.Element("testsuites", name=run.title)
    _counts(root, run.tests)
    for suite_id, grouped in groupby(run.tests, key=lambda test: test.suite):
        tests = list(grouped)
        suite = etree.SubElement(root, "testsuite", name=suite_id, timestamp=run.started)
        _counts(suite, tests)
        properties = etree.SubElement(suite, "properties")
        etree.SubElement(properties, "property", name="target", value=run.target)
        for test in tests:
            _case(suite, test)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _counts(element: etree._Element, tests: list[TestResult]) -> None:
    def count(*statuses: Status) -> str:
        return str(sum(test.status in statuses for test in tests))

    element.set("tests", str(len(tests)))
    element.set("failures", count(Status.FAIL))
    element.set("errors", count(Status.ERROR))
    element.set("skipped", count(Status.SKIP, Status.OMIT))
    element.set("time", f"{sum(test.duration_ms for test in tests) / 1000:.3f}")


def _case(suite: etree._Element, test: TestResult) -> None:
    case = etree.SubElement(
        suite,
        "testcase",
        classname=f"{test.suite}.{test.group}",
        name=f"{test.id}: {test.title}",
        time=f"{test.duration_ms / 1000:.3f}",
    )
    properties = etree.SubElement(case, "properties")
    etree.SubElement(properties, "property", name="id", value=test.id)
    for requirement in test.requirements:
        etree.SubElement(properties, "property", name="requirement", value=requirement)
    if test.status is Status.FAIL:
        etree.SubElement(case, "failure", message=test.message, type="fail").text = _detail(test)
    elif test.status is Status.ERROR:
        etree.SubElement(case, "error", message=test.message, type="error").text = _detail(test)
    elif test.status in (Status.SKIP, Status.OMIT):
        etree.SubElement(case, "skipped", message=f"{test.status.value}: {test.message}")


def _detail(test: TestResult) -> str:
    lines: list[str] = []
    for step in test.steps:
        for exchange in step.exchanges:
            lines.append(f"{step.id}: {exchange.method} {exchange.url} -> {exchange.status}")
        for check in step.checks:
            lines.append(f"  {check.status.value:<5} {check.name}: {check.message}")
        if step.message and not step.checks:
            lines.append(f"  {step.status.value:<5} {step.message}")
    return "\n".join(lines)

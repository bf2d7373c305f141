"""What a run produced: per test, its steps, their HTTP exchanges and each check's verdict;
and, per requirement, whether it was tested and why not. Reporters read only these."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hub.conformance._outcomes import Status, worst
from hub.conformance._suite import Requirement

# Request and response bodies kept in reports; a conformance report is not a data dump.
MAX_LOGGED_BODY = 16 * 1024
_REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})


@dataclass
class Exchange:
    """One HTTP request and its response (or the transport error that replaced it)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    elapsed_ms: float = 0.0
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
                "elapsed_ms": round(self.elapsed_ms, 1),
            },
            **({"error": self.error} if self.error else {}),
        }


def logged_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: _REDACTED if name.lower() in _SECRET_HEADERS else value
        for name, value in headers.items()
    }


def logged_body(body: bytes) -> str:
    text = body[:MAX_LOGGED_BODY].decode("utf-8", errors="replace")
    if len(body) > MAX_LOGGED_BODY:
        text += f"\n[... {len(body) - MAX_LOGGED_BODY} more bytes not logged]"
    return text


@dataclass
class CheckResult:
    name: str
    params: dict[str, Any]
    status: Status
    message: str = ""


@dataclass
class StepResult:
    id: str
    status: Status
    message: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)


@dataclass
class TestResult:
    id: str
    title: str
    description: str
    requirements: tuple[str, ...]
    suite: str
    group: str
    status: Status
    message: str = ""
    steps: list[StepResult] = field(default_factory=list)
    duration_ms: float = 0.0
    __test__ = False  # not a pytest class

    def check(self, name: str) -> list[CheckResult]:
        """Every result of the named check in this test, in order."""
        return [check for step in self.steps for check in step.checks if check.name == name]


@dataclass
class Coverage:
    """A requirement's fate in this run: its status, the tests that verify it, and why not."""

    requirement: Requirement
    status: str
    tests: list[str]
    reason: str = ""

    @property
    def tested(self) -> bool:
        return self.status in (Status.PASS, Status.FAIL, Status.ERROR)


@dataclass
class RunResult:
    """A whole run: what was tested, where, when, the tests' results and requirement coverage."""

    title: str
    target: str
    suites: list[str]
    started: str
    finished: str
    tests: list[TestResult]
    requirements: list[Requirement]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        return worst(test.status for test in self.tests)

    def counts(self) -> dict[str, int]:
        found = Counter(test.status.value for test in self.tests)
        return {status.value: found.get(status.value, 0) for status in Status}

    @property
    def failed(self) -> bool:
        """True when any test failed or erred: the run's exit code is then non-zero."""
        return any(test.status in (Status.FAIL, Status.ERROR) for test in self.tests)

    def test(self, test_id: str) -> TestResult:
        for test in self.tests:
            if test.id == test_id:
                return test
        raise KeyError(test_id)

    def coverage(self) -> list[Coverage]:
        """Each requirement: tested (pass/fail/error), or untested with the reason why."""
        by_requirement: dict[str, list[TestResult]] = {}
        for test in self.tests:
            for requirement_id in test.requirements:
                by_requirement.setdefault(requirement_id, []).append(test)
        return [_coverage(req, by_requirement.get(req.id, []), self) for req in self.requirements]


def _coverage(requirement: Requirement, tests: list[TestResult], run: RunResult) -> Coverage:
    ids = [test.id for test in tests]
    if not tests:
        reason = requirement.untested_reason or (
            f"no test in the suites run ({', '.join(run.suites)}) verifies it"
        )
        return Coverage(requirement, "untested", ids, reason)
    ran = [test for test in tests if test.status in (Status.PASS, Status.FAIL, Status.ERROR)]
    if not ran:
        why = "; ".join(f"{test.id} {test.status.value}: {test.message}" for test in tests)
        return Coverage(requirement, "untested", ids, why)
    return Coverage(requirement, worst(test.status for test in ran).value, ids)

"""Running suites: tests in order, steps in order, every outcome decided by `decide`.

A test stops at its first step that does not pass. Its status is the worst of its steps'; a
step's is the worst of its request's and its checks'. A test that `requires:` a feature the
server's CapabilityStatement does not claim is omitted before anything is sent.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

from hub import __version__
from hub.conformance._capability import require
from hub.conformance._outcomes import Skipped, Status, Verdict, decide, worst
from hub.conformance._paths import json_values, xml_values
from hub.conformance._registry import REGISTRY, StepView
from hub.conformance._results import CheckResult, RunResult, StepResult, TestResult
from hub.conformance._session import Credentials, Response, Session
from hub.conformance._suite import Requirement, Step, Suite, TestDef
from hub.conformance._variables import Variables
from hub.errors import ValidationError
from hub.messages import parse_xml

Progress = Callable[[TestResult, int, int], None]
"""Called after each test with its result, its ordinal and the number of tests."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _SuiteRun:
    suite: Suite
    session: Session
    variables: Variables
    responses: dict[str, Response] = field(default_factory=dict)
    _capability: Verdict | None = None
    _statement: Any = None

    def capability(self) -> Any:
        """The server's CapabilityStatement, fetched once; `Skipped` when it cannot be read."""
        if self._capability is None:
            self._capability = decide(self._fetch_capability)
        if self._capability.status is not Status.PASS:
            raise Skipped(
                "cannot tell whether the server claims this feature: "
                f"{self.suite.capability_path}: {self._capability.message}"
            )
        return self._statement

    def _fetch_capability(self) -> str | None:
        headers = {"Accept": "application/fhir+json"}
        if self.session.credentials is not None:
            headers["Authorization"] = f"Bearer {self.session.token()}"
        _, response, _ = self.session.fetch("GET", self.suite.capability_path, headers)
        if response.status != 200:
            raise Skipped(f"answered {response.status}")
        try:
            self._statement = json.loads(response.content)
        except ValueError:
            raise Skipped("answered with a body that is not JSON") from None
        return None


def run_suites(
    suites: Iterable[Suite],
    http: httpx2.Client,
    *,
    target: str,
    requirements: dict[str, Requirement],
    credentials: Credentials | None = None,
    clients: dict[str, Credentials] | None = None,
    variables: dict[str, str] | None = None,
    only: set[str] | None = None,
    progress: Progress | None = None,
    title: str = "MSIX Hub conformance",
) -> RunResult:
    """Run every test of `suites` (or only the test ids in `only`) against `http`'s server.

    `credentials` authenticate the run's client; `clients` names further clients a suite may use
    (`auth: {client: destination}`); `variables` fix values a suite would otherwise capture.
    """
    chosen = list(suites)
    planned = [(s, t) for s in chosen for t in s.tests if only is None or t.id in only]
    started = _now()
    results: list[TestResult] = []
    runs: dict[str, _SuiteRun] = {}
    for suite, test in planned:
        if suite.id not in runs:
            given = {"client_id": credentials.client_id if credentials else "", "target": target}
            runs[suite.id] = _SuiteRun(
                suite,
                Session(http, credentials, suite.token_path, dict(clients or {})),
                Variables({**given, **suite.variables}, fixed=variables),
            )
        result = run_test(test, runs[suite.id])
        results.append(result)
        if progress is not None:
            progress(result, len(results), len(planned))
    return RunResult(
        title=title,
        target=target,
        suites=[suite.id for suite in chosen],
        started=started,
        finished=_now(),
        tests=results,
        requirements=list(requirements.values()),
        manifest=_manifest(chosen, target, requirements),
    )


def run_test(test: TestDef, run: _SuiteRun) -> TestResult:
    clock = time.perf_counter()
    result = TestResult(
        id=test.id,
        title=test.title,
        description=test.description,
        requirements=test.requirements,
        suite=run.suite.id,
        group=test.group,
        status=Status.PASS,
    )
    if test.requires:
        verdict = decide(lambda: require(run.capability(), test.requires))
        if verdict.status is not Status.PASS:
            result.status, result.message = verdict.status, verdict.message
            return result
    local: dict[str, Response] = {}
    for step in test.steps:
        outcome = _run_step(step, test, run, local)
        result.steps.append(outcome)
        if outcome.status is not Status.PASS:
            break
    result.status = worst(step.status for step in result.steps)
    failing = next((s for s in result.steps if s.status is not Status.PASS), None)
    if failing is not None:
        result.message = f"{failing.id}: {failing.message}"
    result.duration_ms = (time.perf_counter() - clock) * 1000
    return result


def _run_step(step: Step, test: TestDef, run: _SuiteRun, local: dict[str, Response]) -> StepResult:
    outcome = StepResult(step.id, Status.PASS)
    sent: list[Any] = []

    def send() -> str | None:
        for name, generator in step.generate.items():
            run.variables.generate(name, generator)
        _, response, request = run.session.send(step.request, run.variables, outcome.exchanges)
        sent.extend((response, request))
        return None

    verdict = decide(send)
    if verdict.status is not Status.PASS:
        outcome.status, outcome.message = verdict.status, f"request: {verdict.message}"
        return outcome
    response, request = sent
    local[step.id] = run.responses[f"{test.id}.{step.id}"] = response
    _capture(step, test, response, run.variables)
    for call in step.checks:
        view = StepView(
            response,
            request,
            run.session,
            run.variables,
            {**run.responses, **local},
            outcome.exchanges,
        )
        spec = REGISTRY[call.name]

        def judge(spec: Any = spec, call: Any = call, view: StepView = view) -> str | None:
            note: str | None = spec.run(view, run.variables.substitute(call.params))
            return note

        verdict = decide(judge)
        outcome.checks.append(CheckResult(call.name, call.params, verdict.status, verdict.message))
    outcome.status = worst(check.status for check in outcome.checks)
    failing = next((c for c in outcome.checks if c.status is not Status.PASS), None)
    if failing is not None:
        outcome.message = f"{failing.name}: {failing.message}"
    return outcome


def _capture(step: Step, test: TestDef, response: Response, variables: Variables) -> None:
    for capture in step.captures:
        found = _captured(capture.source, capture.path, response)
        if found:
            value = found[0]
            if capture.strip_prefix and isinstance(value, str):
                value = value.removeprefix(capture.strip_prefix)
            variables.set(capture.name, value)
        else:
            variables.unset(
                capture.name,
                f"{test.id}/{step.id} (status {response.status}) had nothing at "
                f"{capture.source} {capture.path}",
            )


def _captured(source: str, path: str, response: Response) -> list[Any]:
    if source == "header":
        value = response.headers.get(path)
        return [value] if value else []
    if source == "xml":
        try:
            return xml_values(
                parse_xml(response.content, max_bytes=len(response.content) + 1), path
            )
        except ValidationError:
            return []
    try:
        return json_values(json.loads(response.content), path)
    except ValueError:
        return []


def _manifest(
    suites: list[Suite], target: str, requirements: dict[str, Requirement]
) -> dict[str, Any]:
    return {
        "engine": f"hub.conformance {__version__}",
        "python": platform.python_version(),
        "target": target,
        "checks": sorted(REGISTRY),
        "suites": [
            {
                "id": suite.id,
                "version": suite.version,
                "file": str(suite.path.name) if suite.path else None,
                "sha256": suite.sha256,
                "tests": len(suite.tests),
            }
            for suite in suites
        ],
        "requirements": len(requirements),
    }

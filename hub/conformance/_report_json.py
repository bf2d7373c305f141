"""results.json: every test with its status, messages and request/response log, the
requirement coverage and the run manifest. Its shape is documented in docs/conformance.md."""

from __future__ import annotations

import json
from typing import Any

from hub.conformance._results import RunResult, TestResult

FORMAT_VERSION = "1.0"


def run_json(run: RunResult) -> dict[str, Any]:
    return {
        "format": f"msix-conformance-results/{FORMAT_VERSION}",
        "title": run.title,
        "target": run.target,
        "suites": run.suites,
        "started": run.started,
        "finished": run.finished,
        "status": run.status.value,
        "summary": run.counts(),
        "manifest": run.manifest,
        "tests": [_test(test) for test in run.tests],
        "requirements": [
            {
                "id": item.requirement.id,
                "source": item.requirement.source,
                "level": item.requirement.level,
                "text": item.requirement.text,
                "status": item.status,
                "tests": item.tests,
                **({"reason": item.reason} if item.reason else {}),
            }
            for item in run.coverage()
        ],
    }


def _test(test: TestResult) -> dict[str, Any]:
    return {
        "id": test.id,
        "title": test.title,
        "description": test.description,
        "suite": test.suite,
        "group": test.group,
        "requirements": list(test.requirements),
        "status": test.status.value,
        "message": test.message,
        "duration_ms": round(test.duration_ms, 1),
        "steps": [
            {
                "id": step.id,
                "status": step.status.value,
                "message": step.message,
                "exchanges": [exchange.as_json() for exchange in step.exchanges],
                "checks": [
                    {
                        "name": check.name,
                        "params": check.params,
                        "status": check.status.value,
                        "message": check.message,
                    }
                    for check in step.checks
                ],
            }
            for step in test.steps
        ],
    }


def render_json(run: RunResult) -> str:
    return json.dumps(run_json(run), indent=2, ensure_ascii=False, default=str) + "\n"

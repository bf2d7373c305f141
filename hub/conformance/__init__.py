"""Conformance testing from outside, over HTTP: suites are data, this package is the engine.

    requirements = load_requirements()
    suites = load_suites(suite_paths(), requirements)      # conformance/*.yaml, every mistake
    run = run_suites(suites, httpx2.Client(base_url=url), target=url,
                     requirements=requirements, credentials=Credentials(client_id, secret))
    write_reports(run, Path("report"))                     # junit.xml, results.json, report.html

Tests have stable ids and the requirement ids they verify; results come from a closed set
(pass, fail, skip, omit, error) decided in one place (`hub.conformance._outcomes.decide`).
Imports only `hub.model`, `hub.fhir`, `hub.messages` and `hub.errors` (an import-linter contract).
"""

from hub.conformance._loader import (
    CONFORMANCE_DIR,
    REQUIREMENTS_PATH,
    SuiteError,
    load_requirements,
    load_suite,
    load_suites,
    parse_suite,
    suite_paths,
)
from hub.conformance._outcomes import (
    CheckFailed,
    Omitted,
    Skipped,
    Status,
    Verdict,
    decide,
    worst,
)
from hub.conformance._results import (
    CheckResult,
    Coverage,
    Exchange,
    RunResult,
    StepResult,
    TestResult,
)
from hub.conformance._runner import Progress, run_suites
from hub.conformance._session import Credentials
from hub.conformance._suite import Requirement, Suite, TestDef
from hub.conformance.checks import CHECKS
from hub.conformance.reports import render_html, render_json, render_junit, write_reports

__all__ = [
    "CHECKS",
    "CONFORMANCE_DIR",
    "REQUIREMENTS_PATH",
    "CheckFailed",
    "CheckResult",
    "Coverage",
    "Credentials",
    "Exchange",
    "Omitted",
    "Progress",
    "Requirement",
    "RunResult",
    "Skipped",
    "Status",
    "StepResult",
    "Suite",
    "SuiteError",
    "TestDef",
    "TestResult",
    "Verdict",
    "decide",
    "load_requirements",
    "load_suite",
    "load_suites",
    "parse_suite",
    "render_html",
    "render_json",
    "render_junit",
    "run_suites",
    "suite_paths",
    "worst",
    "write_reports",
]

"""Loading suites and requirements: the shipped files load, and every mistake is located."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hub.conformance import (
    CHECKS,
    CONFORMANCE_DIR,
    SuiteError,
    load_requirements,
    load_suites,
    parse_suite,
    suite_paths,
)

HEADER = """\
suite: demo
title: Demo
version: "1.0"
description: A suite with mistakes.
variables: {known: x}
groups:
  - id: main
    title: Main
    tests:
"""


def _suite(tests: str) -> str:
    return HEADER + tests


def test_every_shipped_suite_loads_against_the_requirements_list() -> None:
    requirements = load_requirements()
    suites = load_suites(suite_paths(), requirements)

    assert {suite.id for suite in suites} >= {"fhir", "messages"}
    for suite in suites:
        assert suite.tests, suite.id
        for test in suite.tests:
            assert test.title
            assert test.description
            assert set(test.requirements) <= set(requirements)


def test_every_requirement_is_tested_somewhere_or_says_why_not() -> None:
    requirements = load_requirements()
    referenced = {
        requirement
        for suite in load_suites(suite_paths(), requirements)
        for test in suite.tests
        for requirement in test.requirements
    }
    # `msix conformance check-file` verifies the mapping requirements per record.
    by_state_file = {key for key in requirements if key.startswith("map-")}
    for key, requirement in requirements.items():
        tested = key in referenced or (key in by_state_file and not requirement.untested_reason)
        assert tested != bool(requirement.untested_reason), key


def test_a_suite_with_eight_mistakes_reports_all_eight_located() -> None:
    text = _suite(
        """\
      - id: first
        title: First
        description: Mistakes everywhere.
        requirements: [fhir-read-patient, no-such-requirement]
        steps:
          - id: one
            request: {method: GET, path: "/x/${undefined_variable}"}
            checks:
              - no_such_check: 1
              - status: "two hundred"
              - json_equals: {path: "a..b", value: 1}
              - same_body_as: later
      - id: first
        title: Again
        description: Duplicate id.
        requirements: []
        steps:
          - id: one
            request: {method: FETCH, path: /y}
"""
    )
    with pytest.raises(SuiteError) as caught:
        parse_suite(text, "demo.yaml", load_requirements())

    messages = [f"{issue.location}: {issue.message}" for issue in caught.value.issues]
    expected = [
        "no-such-requirement",
        "undefined_variable",
        "unknown check 'no_such_check'",
        "status:",
        "cannot read 'a..b'",
        "no earlier step 'later'",
        "duplicate test id first",
        "'FETCH' is not one of",
    ]
    for fragment in expected:
        assert any(fragment in message for message in messages), (fragment, messages)
    assert all(
        issue.location and issue.location.startswith("demo.yaml:") for issue in caught.value.issues
    )
    line_of_bad_check = text.splitlines().index("              - no_such_check: 1") + 1
    assert any(
        issue.location.startswith(f"demo.yaml:{line_of_bad_check} ")
        for issue in caught.value.issues
        if issue.location and "no_such_check" in issue.message
    )


def test_variables_defined_by_suite_capture_or_generate_are_accepted() -> None:
    text = _suite(
        """\
      - id: chain
        title: Chain
        description: A value captured by one step is used by the next.
        requirements: []
        steps:
          - id: find
            generate: {marker: token}
            request: {method: GET, path: "/find/${known}/${marker}/${client_id}"}
            capture:
              found: {json: "entry[0].resource.id", strip_prefix: Patient/}
          - id: use
            request: {method: GET, path: "/read/${found}"}
            checks:
              - status: [200, 404]
              - same_status_as: find
"""
    )
    suite = parse_suite(text, "demo.yaml")

    assert [step.id for step in suite.tests[0].steps] == ["find", "use"]
    assert suite.tests[0].steps[0].captures[0].strip_prefix == "Patient/"


def test_a_file_that_is_not_yaml_is_one_located_issue() -> None:
    with pytest.raises(SuiteError) as caught:
        parse_suite("suite: [unclosed\n", "broken.yaml")

    assert caught.value.issues[0].location == "broken.yaml:2"


def test_the_same_test_id_in_two_files_is_refused(tmp_path: Path) -> None:
    body = _suite(
        """\
      - id: shared
        title: Shared
        description: Same id.
        requirements: []
        steps:
          - id: one
            request: {method: GET, path: /x}
"""
    )
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(body.replace("suite: demo", f"suite: {name[0]}"))

    with pytest.raises(SuiteError, match="test id shared is also used"):
        load_suites(sorted(tmp_path.glob("*.yaml")))


def test_a_requirements_file_with_a_bad_level_and_a_duplicate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.csv"
    path.write_text(
        "# header\nid,source,level,text,untested_reason\na,doc,SHALL,One.,\na,doc,MUST,Two.,\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError) as caught:
        load_requirements(path)

    assert [issue.location for issue in caught.value.issues] == [
        f"{path}:4",
        f"{path}:4",
    ]


def test_every_check_of_the_registry_is_documented_with_a_valid_parameter_schema() -> None:
    import jsonschema

    for name, spec in CHECKS.items():
        assert spec.summary, name
        jsonschema.Draft202012Validator.check_schema(spec.schema)


def test_the_suite_schema_is_a_valid_json_schema() -> None:
    import json

    import jsonschema

    schema = json.loads((CONFORMANCE_DIR / "suite.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in suite_paths():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(jsonschema.Draft202012Validator(schema).iter_errors(document)), path

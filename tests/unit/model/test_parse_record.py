from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hub.errors import IssueCode
from hub.model.elements import elements_of
from hub.model.records import (
    Assessment,
    Condition,
    Course,
    Enrollment,
    Immunization,
    QualifyingMove,
    StudentId,
)
from hub.model.rules import RULES, parse_record


def test_parse_record_on_garbage_gives_located_issues(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][1]["enrollment_date"] = "next tuesday"
    record_data["courses"][0]["begin_year"] = "twenty"
    record_data["identity"]["parents"] = "Rosa"
    record_data["action"] = "X"
    record, issues = parse_record(record_data, today=today)
    assert record is None
    assert {(issue.location, issue.rule) for issue in issues} == {
        ("enrollments[1].enrollment_date", "mde.type"),
        ("courses[0].begin_year", "mde.type"),
        ("identity.parents", "mde.type"),
        ("action", "mde.type"),
    }
    assert all(issue.code is IssueCode.VALUE and issue.is_error for issue in issues)


def test_missing_or_null_required_element_is_a_required_issue(
    record_data: dict[str, Any], today: date
) -> None:
    del record_data["moves"][0]["qualifying_arrival_date"]
    record_data["immunizations"][0]["cvx"] = None
    _, issues = parse_record(record_data, today=today)
    assert {(issue.location, issue.rule, issue.code) for issue in issues} == {
        ("moves[0].qualifying_arrival_date", "mde.required", IssueCode.REQUIRED),
        ("immunizations[0].cvx", "mde.required", IssueCode.REQUIRED),
    }


def test_element_outside_the_standard_is_reported(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"]["shoe_size"] = "7"
    _, issues = parse_record(record_data, today=today)
    assert [(issue.location, issue.rule) for issue in issues] == [
        ("identity.shoe_size", "mde.unknown-field")
    ]


@pytest.mark.parametrize(
    ("garbage", "where", "rule"),
    [
        (None, None, "mde.type"),
        ([], None, "mde.type"),
        ("record", None, "mde.type"),
        (42, None, "mde.type"),
        ({"student_id": None}, "student_id", "mde.required"),
        ({"student_id": "TX-1"}, "student_id", "mde.type"),
    ],
)
def test_parse_record_of_something_else_does_not_crash(
    garbage: Any, where: str | None, rule: str, today: date
) -> None:
    record, issues = parse_record(garbage, today=today)
    assert record is None
    assert [(issue.location, issue.rule) for issue in issues] == [(where, rule)]


def test_parse_record_checks_rules_once_the_record_parses(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][0]["withdrawal_date"] = "2025-08-01"
    record, issues = parse_record(record_data, today=today)
    assert record is not None
    assert [(issue.location, issue.rule) for issue in issues] == [
        ("enrollments[0].withdrawal_date", "mde.withdrawal-before-enrollment")
    ]


@pytest.mark.parametrize(
    "model", [StudentId, QualifyingMove, Enrollment, Assessment, Course, Immunization, Condition]
)
def test_elements_typed_without_none_are_required(model: type[BaseModel]) -> None:
    for element in elements_of(model):
        annotation = model.model_fields[element.field].annotation
        default = model.model_fields[element.field].default
        if annotation in (str, date) and default is None:
            pytest.fail(f"{model.__name__}.{element.field} would default to None")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(["student_id", "identity", "moves", "enrollments", "action", "courses"])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _json, max_size=6))
def test_parse_record_never_raises_and_every_issue_is_a_published_rule(
    data: dict[str, Any],
) -> None:
    _, issues = parse_record(data, today=date(2026, 11, 28))
    assert {issue.rule for issue in issues} <= set(RULES)

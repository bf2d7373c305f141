from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hub.errors import Issue, IssueCode, Severity
from hub.model.records import Action, StudentRecord
from hub.model.rules import RULES, check_record


def check(data: dict[str, Any], today: date) -> list[Issue]:
    return check_record(StudentRecord.model_validate(data), today=today)


def located(issues: list[Issue]) -> set[tuple[str | None, str | None]]:
    return {(issue.location, issue.rule) for issue in issues}


def test_valid_synthetic_record_has_no_issues(record_data: dict[str, Any], today: date) -> None:
    assert check(record_data, today) == []


def test_withdrawal_before_enrollment_is_a_located_issue(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][1]["withdrawal_date"] = "2026-01-02"
    issues = check(record_data, today)
    assert located(issues) == {
        ("enrollments[1].withdrawal_date", "mde.withdrawal-before-enrollment")
    }
    assert issues[0].severity is Severity.ERROR


def test_unknown_code_is_an_issue_not_a_crash(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"]["sex"] = "X"
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule, issue.code) == (
        "identity.sex",
        "mde.code",
        IssueCode.CODE_INVALID,
    )
    assert "'X'" in issue.message


def test_record_with_three_bad_fields_gets_three_issues(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][0]["grade_level"] = "Z9"
    record_data["identity"]["first_name"] = "N" * 51
    record_data["courses"][0]["term_type"] = "0836"
    issues = check(record_data, today)
    assert located(issues) == {
        ("enrollments[0].grade_level", "mde.code"),
        ("identity.first_name", "mde.length"),
        ("courses[0].term_type", "mde.code"),
    }
    assert len(issues) == 3


def test_value_longer_than_its_element_is_a_length_issue_without_echoing_it(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["identity"]["parents"][0]["last_name"] = "Prueba" * 10
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule) == ("identity.parents[0].last_name", "mde.length")
    assert "60 characters" in issue.message
    assert "allows 50" in issue.message
    assert "Prueba" not in issue.message


def test_numeric_element_with_other_characters_is_an_issue(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][0]["facility_phone"] = "555-019999"
    assert located(check(record_data, today)) == {("enrollments[0].facility_phone", "mde.numeric")}


def test_record_ids_must_be_unique_within_their_group(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][1]["record_id"] = "001"
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule) == ("enrollments[1].record_id", "mde.record-id-unique")
    assert "enrollments[0]" in issue.message


def test_same_record_id_in_different_groups_is_fine(
    record_data: dict[str, Any], today: date
) -> None:
    assert {row["record_id"] for row in record_data["assessments"]} == {"001"}
    assert check(record_data, today) == []


@pytest.mark.parametrize("record_id", ["000", "1000", "12", "abc", ""])
def test_record_id_outside_001_to_999_is_an_issue(
    record_data: dict[str, Any], today: date, record_id: str
) -> None:
    record_data["immunizations"][0]["record_id"] = record_id
    assert located(check(record_data, today)) == {("immunizations[0].record_id", "mde.record-id")}


def test_missing_identity_fields_are_each_an_error(
    record_data: dict[str, Any], today: date
) -> None:
    for name in ("first_name", "last_name_1", "birth_date", "sex"):
        del record_data["identity"][name]
    issues = check(record_data, today)
    assert located(issues) == {
        (f"identity.{name}", "mde.identity-required")
        for name in ("first_name", "last_name_1", "birth_date", "sex")
    }
    assert all(issue.code is IssueCode.REQUIRED and issue.is_error for issue in issues)


def test_record_without_qualifying_move_is_rejected(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["moves"] = []
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule, issue.is_error) == (
        "moves",
        "mde.qualifying-move-required",
        True,
    )


def test_delete_needs_only_the_key(today: date) -> None:
    record = StudentRecord.model_validate(
        {"student_id": {"state": "TX", "value": "SYN000001"}, "action": "D"}
    )
    assert record.action is Action.DELETE
    assert check_record(record, today=today) == []


def test_delete_without_a_student_identifier_is_an_issue(today: date) -> None:
    record = StudentRecord.model_validate(
        {"student_id": {"state": "TX", "value": ""}, "action": "D"}
    )
    assert located(check_record(record, today=today)) == {("student_id.value", "mde.key-required")}


def test_future_date_is_implausible_but_a_future_expiration_is_not(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["immunizations"][0]["occurrence_date"] = "2026-11-29"
    assert record_data["moves"][0]["eligibility_expiration_date"] > today.isoformat()
    assert located(check(record_data, today)) == {
        ("immunizations[0].occurrence_date", "mde.date-plausible")
    }


def test_child_older_than_25_on_the_latest_date_of_the_record_is_implausible(
    record_data: dict[str, Any], today: date
) -> None:
    assert record_data["enrollments"][1]["enrollment_date"] == "2026-01-12"  # the latest date
    record_data["identity"]["birth_date"] = "2000-01-12"  # 26 on 2026-01-12
    assert ("identity.birth_date", "mde.date-plausible") in located(check(record_data, today))
    record_data["identity"]["birth_date"] = "2000-01-13"  # still 25 on 2026-01-12
    assert ("identity.birth_date", "mde.date-plausible") not in located(check(record_data, today))


def test_historical_record_of_a_child_now_grown_up_is_accepted(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["identity"]["birth_date"] = "1998-05-14"
    record_data["moves"][0].update(
        qualifying_arrival_date="2013-03-15", eligibility_expiration_date="2016-03-15"
    )
    record_data["enrollments"] = [{"record_id": "001", "enrollment_date": "2013-03-18"}]
    record_data["immunizations"][0]["occurrence_date"] = "1999-06-01"
    record_data["assessments"][0]["administration_date"] = "2014-04"
    assert check(record_data, today) == []


def test_placeholder_birth_date_is_a_warning(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"]["birth_date"] = "2013-01-01"
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule, issue.severity) == (
        "identity.birth_date",
        "mde.date-placeholder",
        Severity.WARNING,
    )


def test_1900_placeholder_birth_date_is_flagged_and_implausible(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["identity"]["birth_date"] = "1900-01-01"
    rules = {
        issue.rule for issue in check(record_data, today) if issue.location == "identity.birth_date"
    }
    assert rules == {"mde.date-placeholder", "mde.date-plausible"}


def test_birth_date_before_1900_is_implausible(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"]["birth_date"] = "1899-12-31"
    messages = [
        issue.message
        for issue in check(record_data, today)
        if issue.location == "identity.birth_date"
    ]
    assert any("before 1900-01-01" in message for message in messages)


def test_enrollment_and_graduation_before_birth_are_issues(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][0]["enrollment_date"] = "2012-05-13"
    record_data["enrollments"][0]["graduation_hse_date"] = "2011-06-01"
    assert located(check(record_data, today)) == {
        ("enrollments[0].enrollment_date", "mde.date-before-birth"),
        ("enrollments[0].graduation_hse_date", "mde.date-before-birth"),
    }


def test_cvx_dose_outside_its_authorization_window_is_a_warning(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["immunizations"][0].update(cvx="208", occurrence_date="2024-02-01")
    [issue] = check(record_data, today)
    assert (issue.location, issue.rule, issue.severity) == (
        "immunizations[0].cvx",
        "mde.code-validity",
        Severity.WARNING,
    )


@pytest.mark.parametrize("month", ["102025", "2025-13", "2025-1", "October 2025"])
def test_assessment_month_must_be_written_yyyy_mm(
    record_data: dict[str, Any], today: date, month: str
) -> None:
    record_data["assessments"][0]["administration_date"] = month
    assert located(check(record_data, today)) == {
        ("assessments[0].administration_date", "mde.month-format")
    }


def test_course_ending_before_it_begins_is_an_issue(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["courses"][0].update(begin_year=2026, end_year=2025)
    assert located(check(record_data, today)) == {("courses[0].end_year", "mde.course-years")}


def test_every_issue_names_a_published_rule(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"].update(sex="?", birth_date="1900-01-01", first_name="")
    record_data["enrollments"][0].update(record_id="1", withdrawal_date="2025-01-01")
    record_data["enrollments"][1].update(record_id="002", enrollment_date="2030-01-01")
    record_data["assessments"][0].update(administration_date="2025/10")
    record_data["moves"][0].update(eligibility_expiration_date="2030-01-01")
    issues = check(record_data, today)
    assert len(issues) >= 8
    assert {issue.rule for issue in issues} <= set(RULES)
    assert all(issue.location for issue in issues)


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("credits_granted", "0.25", True),
        ("credits_granted", "1.125", False),  # three places: the XSD's fractionDigits is 2
        ("credits_granted", "-0.5", False),
        ("clock_hours", "12.50", True),
        ("clock_hours", "12.505", False),
    ],
)
def test_decimal_elements_carry_at_most_two_places_and_are_never_negative(
    record_data: dict[str, Any], today: date, field: str, value: str, ok: bool
) -> None:
    record_data["courses"][0][field] = value
    found = located(check(record_data, today))
    assert found == (set() if ok else {(f"courses[0].{field}", "mde.decimals")})

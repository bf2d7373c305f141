from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hub.errors import Severity
from hub.model.eligibility import add_months, age_limit_date, eligibility_expiration
from hub.model.records import StudentRecord
from hub.model.rules import check_record


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2021, 3, 15), 36, date(2024, 3, 15)),
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2020, 2, 29), 36, date(2023, 2, 28)),
        (date(2020, 2, 29), 48, date(2024, 2, 29)),
        (date(2021, 11, 30), 3, date(2022, 2, 28)),
        (date(2021, 12, 31), 12, date(2022, 12, 31)),
    ],
)
def test_add_months_keeps_the_day_or_falls_back_to_the_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_expiration_is_qad_plus_36_months_for_a_young_child() -> None:
    assert eligibility_expiration(date(2025, 3, 15), date(2012, 5, 14)) == date(2028, 3, 15)


def test_expiration_is_qad_plus_36_months_when_birth_date_is_unknown() -> None:
    assert eligibility_expiration(date(2025, 3, 15), None) == date(2028, 3, 15)


def test_expiration_is_the_22nd_birthday_when_it_comes_first() -> None:
    assert eligibility_expiration(date(2025, 3, 15), date(2005, 9, 1)) == date(2027, 9, 1)


def test_expiration_is_qad_plus_36_months_when_it_ties_the_22nd_birthday() -> None:
    assert eligibility_expiration(date(2025, 3, 15), date(2006, 3, 15)) == date(2028, 3, 15)


def test_leap_day_qad_expires_on_28_february() -> None:
    assert eligibility_expiration(date(2020, 2, 29), date(2010, 6, 1)) == date(2023, 2, 28)


def test_leap_day_birth_reaches_22_on_28_february_of_a_common_year() -> None:
    assert age_limit_date(date(2004, 2, 29)) == date(2026, 2, 28)
    assert eligibility_expiration(date(2025, 1, 10), date(2004, 2, 29)) == date(2026, 2, 28)


def _record(data: dict[str, Any], expiration: str | None) -> StudentRecord:
    data["moves"][0]["eligibility_expiration_date"] = expiration
    return StudentRecord.model_validate(data)


@pytest.mark.parametrize("expiration", [None, "2028-03-15"])
def test_missing_or_computed_expiration_is_accepted(
    record_data: dict[str, Any], today: date, expiration: str | None
) -> None:
    assert check_record(_record(record_data, expiration), today=today) == []


def test_state_expiration_later_than_36_months_is_an_error(
    record_data: dict[str, Any], today: date
) -> None:
    [issue] = check_record(_record(record_data, "2028-03-16"), today=today)
    assert (issue.location, issue.rule, issue.severity) == (
        "moves[0].eligibility_expiration_date",
        "mde.eligibility-expiration",
        Severity.ERROR,
    )
    assert "2028-03-15" in issue.message


def test_state_expiration_later_than_22nd_birthday_is_an_error_without_the_birth_date(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["identity"]["birth_date"] = "2005-09-02"
    [issue] = check_record(_record(record_data, "2028-03-15"), today=today)
    assert (issue.rule, issue.severity) == ("mde.eligibility-expiration", Severity.ERROR)
    assert "22nd birthday" in issue.message
    assert "2027-09-02" not in issue.message


def test_state_expiration_one_day_early_is_a_warning(
    record_data: dict[str, Any], today: date
) -> None:
    [issue] = check_record(_record(record_data, "2028-03-14"), today=today)
    assert (issue.rule, issue.severity) == ("mde.eligibility-expiration", Severity.WARNING)


def test_state_expiration_at_graduation_is_accepted(
    record_data: dict[str, Any], today: date
) -> None:
    record_data["enrollments"][0].update(
        graduation_hse_indicator="HSE", graduation_hse_date="2025-12-01"
    )
    assert check_record(_record(record_data, "2025-12-01"), today=today) == []


def test_state_expiration_not_after_qad_is_an_error(
    record_data: dict[str, Any], today: date
) -> None:
    [issue] = check_record(_record(record_data, "2025-03-15"), today=today)
    assert (issue.rule, issue.severity) == ("mde.eligibility-expiration", Severity.ERROR)


def test_qad_on_the_22nd_birthday_is_an_error(record_data: dict[str, Any], today: date) -> None:
    record_data["identity"]["birth_date"] = "2003-03-15"
    [issue] = check_record(_record(record_data, None), today=today)
    assert (issue.location, issue.rule) == (
        "moves[0].qualifying_arrival_date",
        "mde.eligibility-age",
    )

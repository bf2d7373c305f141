"""Minimum-data rules for one state record (DOMAIN.md §2-§4).

`check_record` returns every issue of a record at once, each located by a dotted path
(`enrollments[2].withdrawal_date`) and tagged with a stable rule id from `RULES`, so a state fixes
all of a record's problems from one result file. `parse_record` does the same for raw input,
turning pydantic's validation errors into located issues instead of raising.

Per-element checks (codes, lengths, digits, dates) are driven by the MDE metadata in
`hub.model.records`; the record-level rules below are the ones that relate several fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from types import MappingProxyType

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from hub.errors import Issue, IssueCode, error, warning
from hub.model._element_rules import element_issues, latest_event_date_of, walk
from hub.model.eligibility import (
    ELIGIBILITY_MONTHS,
    add_months,
    age_limit_date,
    eligibility_expiration,
)
from hub.model.records import Action, Identity, StudentRecord

__all__ = ["IDENTITY_REQUIRED", "RULES", "check_record", "eligibility_expiration", "parse_record"]

RULES: Mapping[str, str] = MappingProxyType(
    {
        "mde.required": "An element the model requires is present.",
        "mde.unknown-field": "Only elements the standard defines are sent.",
        "mde.type": "A value has the element's type and shape (a date, a number, a pattern).",
        "mde.key-required": "Reporting state and State Student Identifier are both present.",
        "mde.code": "A coded element holds a code of its code set.",
        "mde.code-validity": (
            "Warning: a code is used within its validity dates; CVX codes are dated by the dose."
        ),
        "mde.length": "A value fits the element's length.",
        "mde.numeric": "A numeric (N) text element holds digits only.",
        "mde.month-format": "A month element is written YYYY-MM.",
        "mde.date-plausible": (
            "No date is in the future (the eligibility expiration date excepted) or before "
            "1900-01-01, and the child is at most 25 years old on the latest date in the record."
        ),
        "mde.date-placeholder": (
            "Warning: a birth date of 1 January (1900-01-01 included) is a common placeholder "
            "and never decides a match."
        ),
        "mde.date-before-birth": "No date in the record is before the child's birth date.",
        "mde.identity-required": (
            "First Name, Last Name 1, Birth Date and Sex are present: matching needs them "
            "(not checked for deletes)."
        ),
        "mde.qualifying-move-required": (
            "The record has a qualifying move; without one the student is rejected "
            "(not checked for deletes)."
        ),
        "mde.record-id": "A Record ID is three digits, 001-999.",
        "mde.record-id-unique": "Record IDs are unique within their group.",
        "mde.withdrawal-before-enrollment": "Withdrawal Date is on or after Enrollment Date.",
        "mde.eligibility-age": "The Qualifying Arrival Date is before the child's 22nd birthday.",
        "mde.eligibility-expiration": (
            "A sent Eligibility Expiration Date is after the QAD and not after the earlier of "
            "QAD + 36 months and the 22nd birthday (error); an earlier date is a warning "
            "unless it is a graduation/HSE date of the record."
        ),
        "mde.course-years": "End Academic Year is not before Begin Academic Year.",
    }
)

# Matching cannot work without these (DOMAIN.md §6); other identity elements only help it.
IDENTITY_REQUIRED = ("first_name", "last_name_1", "birth_date", "sex")
MAX_PLAUSIBLE_AGE = 25
_RECORD_ID_FIELD = "record_id"
_RECORD_ID = re.compile(r"^(?!000)\d{3}$")


def check_record(record: StudentRecord, *, today: date | None = None) -> list[Issue]:
    """Every rule issue of `record`, errors and warnings, located by dotted path.

    `today` is the day dates are judged against (future dates, code validity); it defaults to
    the local date. The child's age is judged on the latest date in the record (at most
    `today`), so a historical record of a child who has since grown up is not rejected.

    A delete (`Action.DELETE`) needs only its key: the rest of a delete is discarded, so only
    the key is checked.
    """
    today = today if today is not None else date.today()
    issues = _key_issues(record)
    if record.action is Action.DELETE:
        issues.extend(element_issues(record.student_id, "student_id", today=today, birth_date=None))
        return issues
    birth_date = record.identity.birth_date
    models = list(walk(record))
    for path, model in models:
        issues.extend(element_issues(model, path, today=today, birth_date=birth_date))
    latest = latest_event_date_of((model for _, model in models), today)
    issues.extend(_identity_issues(record.identity, latest))
    issues.extend(_record_id_issues(record))
    issues.extend(_move_issues(record))
    issues.extend(_enrollment_issues(record))
    issues.extend(_course_issues(record))
    return issues


def parse_record(
    data: Mapping[str, object], *, today: date | None = None
) -> tuple[StudentRecord | None, list[Issue]]:
    """Build a `StudentRecord` from `data` and check it.

    Never raises on bad input: when the data does not fit the model the record is None and the
    issues locate every structural problem; otherwise the issues are those of `check_record`.
    """
    try:
        record = StudentRecord.model_validate(data)
    except PydanticValidationError as exc:
        # Inputs are read only to tell an explicit null from a wrong value; messages never echo
        # them, since they may be a child's personal data.
        details = exc.errors(include_url=False, include_context=False)
        return None, [_parse_issue(detail) for detail in details]
    return record, check_record(record, today=today)


def _parse_issue(detail: ErrorDetails) -> Issue:
    location = _dotted(detail["loc"])
    null_for_required = location is not None and detail.get("input", "") is None
    if detail["type"] == "missing" or null_for_required:
        return error(IssueCode.REQUIRED, "required element is missing", location, "mde.required")
    if detail["type"] == "extra_forbidden":
        return error(
            IssueCode.STRUCTURE,
            "element is not part of the standard",
            location,
            "mde.unknown-field",
        )
    return error(IssueCode.VALUE, detail["msg"], location, "mde.type")


def _dotted(loc: tuple[int | str, ...]) -> str | None:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or None


def _missing(value: object) -> bool:
    return value is None or value == ""


def _key_issues(record: StudentRecord) -> list[Issue]:
    return [
        error(
            IssueCode.REQUIRED,
            "the record key needs both the reporting state and the State Student Identifier",
            f"student_id.{name}",
            "mde.key-required",
        )
        for name in ("state", "value")
        if _missing(getattr(record.student_id, name))
    ]


def _identity_issues(identity: Identity, as_of: date) -> list[Issue]:
    issues = [
        error(
            IssueCode.REQUIRED,
            f"{name.replace('_', ' ')} is required to match the child",
            f"identity.{name}",
            "mde.identity-required",
        )
        for name in IDENTITY_REQUIRED
        if _missing(getattr(identity, name))
    ]
    birth_date = identity.birth_date
    if birth_date is None:
        return issues
    where = "identity.birth_date"
    age = (
        as_of.year
        - birth_date.year
        - ((as_of.month, as_of.day) < (birth_date.month, birth_date.day))
    )
    if age > MAX_PLAUSIBLE_AGE:
        issues.append(
            error(
                IssueCode.VALUE,
                f"Birth Date makes the child older than {MAX_PLAUSIBLE_AGE} on "
                f"{as_of.isoformat()}, the latest date in the record",
                where,
                "mde.date-plausible",
            )
        )
    if (birth_date.month, birth_date.day) == (1, 1):
        issues.append(
            warning(
                IssueCode.VALUE,
                "Birth Date on 1 January is a common placeholder; it will not decide a match",
                where,
                "mde.date-placeholder",
            )
        )
    return issues


@cache
def _has_record_id(model: type[BaseModel]) -> bool:
    return _RECORD_ID_FIELD in model.model_fields


def _record_id_issues(record: StudentRecord) -> list[Issue]:
    issues: list[Issue] = []
    for group in type(record).model_fields:
        rows = getattr(record, group)
        if not isinstance(rows, list):
            continue
        first_use: dict[str, int] = {}
        for index, row in enumerate(rows):
            if not isinstance(row, BaseModel) or not _has_record_id(type(row)):
                continue
            record_id = getattr(row, _RECORD_ID_FIELD)
            where = f"{group}[{index}].record_id"
            if not isinstance(record_id, str) or not _RECORD_ID.match(record_id):
                issues.append(
                    error(
                        IssueCode.VALUE,
                        "Record ID must be three digits from 001 to 999",
                        where,
                        "mde.record-id",
                    )
                )
            elif record_id in first_use:
                issues.append(
                    error(
                        IssueCode.DUPLICATE,
                        f"Record ID {record_id} is already used by {group}[{first_use[record_id]}]",
                        where,
                        "mde.record-id-unique",
                    )
                )
            else:
                first_use[record_id] = index
    return issues


def _move_issues(record: StudentRecord) -> list[Issue]:
    if not record.moves:
        return [
            error(
                IssueCode.REQUIRED,
                "the record has no qualifying move; a student without one is rejected",
                "moves",
                "mde.qualifying-move-required",
            )
        ]
    birth_date = record.identity.birth_date
    graduations = {
        enrollment.graduation_hse_date
        for enrollment in record.enrollments
        if enrollment.graduation_hse_date is not None
    }
    issues: list[Issue] = []
    for index, move in enumerate(record.moves):
        qad = move.qualifying_arrival_date
        if birth_date is not None and age_limit_date(birth_date) <= qad:
            issues.append(
                error(
                    IssueCode.BUSINESS_RULE,
                    "Qualifying Arrival Date is on or after the child's 22nd birthday",
                    f"moves[{index}].qualifying_arrival_date",
                    "mde.eligibility-age",
                )
            )
            continue
        sent = move.eligibility_expiration_date
        if sent is None:
            continue
        issue = _expiration_issue(qad, birth_date, sent, graduations)
        if issue is not None:
            issues.append(issue.at(f"moves[{index}]"))
    return issues


def _expiration_issue(
    qad: date, birth_date: date | None, sent: date, graduations: set[date]
) -> Issue | None:
    expected = eligibility_expiration(qad, birth_date)
    by_months = add_months(qad, ELIGIBILITY_MONTHS)
    # The 22nd-birthday date would disclose the birth date, so only the QAD bound is echoed.
    bound = (
        f"QAD + {ELIGIBILITY_MONTHS} months ({expected.isoformat()})"
        if expected == by_months
        else "the child's 22nd birthday"
    )
    where = "eligibility_expiration_date"
    rule = "mde.eligibility-expiration"
    if sent <= qad:
        message = "Eligibility Expiration Date is not after the Qualifying Arrival Date"
        return error(IssueCode.BUSINESS_RULE, message, where, rule)
    if sent > expected:
        message = f"Eligibility Expiration Date is later than {bound}, when eligibility ends"
        return error(IssueCode.BUSINESS_RULE, message, where, rule)
    if sent < expected and sent not in graduations:
        message = (
            f"Eligibility Expiration Date is earlier than {bound}; expected only when "
            "graduation, HSE or a state rule ended eligibility sooner (the hub's date is the "
            "first day the child is no longer eligible)"
        )
        return warning(IssueCode.BUSINESS_RULE, message, where, rule)
    return None


def _enrollment_issues(record: StudentRecord) -> list[Issue]:
    return [
        error(
            IssueCode.BUSINESS_RULE,
            "Withdrawal Date is before Enrollment Date",
            f"enrollments[{index}].withdrawal_date",
            "mde.withdrawal-before-enrollment",
        )
        for index, enrollment in enumerate(record.enrollments)
        if enrollment.withdrawal_date is not None
        and enrollment.withdrawal_date < enrollment.enrollment_date
    ]


def _course_issues(record: StudentRecord) -> list[Issue]:
    return [
        error(
            IssueCode.BUSINESS_RULE,
            "End Academic Year is before Begin Academic Year",
            f"courses[{index}].end_year",
            "mde.course-years",
        )
        for index, course in enumerate(record.courses)
        if course.begin_year is not None
        and course.end_year is not None
        and course.end_year < course.begin_year
    ]

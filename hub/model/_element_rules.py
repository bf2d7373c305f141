"""Per-element checks driven by the MDE metadata: codes, lengths, digits, dates.

Nothing here names a model field except where a standard gives one field a different reading
(see `_CODE_DATE` and `_MAY_BE_FUTURE`); every other element is found by walking the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from hub.errors import Issue, IssueCode, error, warning
from hub.model.codes import codeset
from hub.model.elements import Element, elements_of
from hub.model.records import Identity, Immunization, QualifyingMove

EARLIEST_DATE = date(1900, 1, 1)

# CVX validity describes when a product could be given, so it bounds the dose date; every other
# code set is checked as of the day the record is checked.
_CODE_DATE: dict[type[BaseModel], str] = {Immunization: "occurrence_date"}

# The expiration date is computed ahead (QAD + 36 months); every other date records something
# that has already happened.
_MAY_BE_FUTURE: frozenset[tuple[type[BaseModel], str]] = frozenset(
    {(QualifyingMove, "eligibility_expiration_date")}
)

_BIRTH_DATE = (Identity, "birth_date")

# Record IDs have their own rule (`mde.record-id`), so they skip the generic digit/length checks.
_RECORD_ID = "record_id"

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DIGITS = re.compile(r"^[0-9]+$")
_SHOWN = 20


def walk(model: BaseModel, path: str = "") -> Iterator[tuple[str, BaseModel]]:
    """Every model in the tree under `model`, with its dotted path (`enrollments[2]`)."""
    yield path, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{path}.{name}" if path else name
        if isinstance(value, BaseModel):
            yield from walk(value, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from walk(item, f"{where}[{index}]")


def latest_event_date(record: BaseModel, today: date) -> date:
    """The latest date on which something in the record happened, and never after `today`.

    Age plausibility is judged on this day rather than on `today`, so that a historical record of
    a child who has since grown up (a start-up full load, a re-upload) is not rejected.
    """
    latest: date | None = None
    for _, model in walk(record):
        for element in elements_of(type(model)):
            key = (type(model), element.field)
            if element.kind != "D8" or key in _MAY_BE_FUTURE or key == _BIRTH_DATE:
                continue
            value = getattr(model, element.field)
            if isinstance(value, date) and (latest is None or value > latest):
                latest = value
    return today if latest is None else min(latest, today)


def shown(value: str) -> str:
    """A value quoted for a message, cut short so a garbage field cannot flood a report."""
    text = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
    return repr(text)


def element_issues(
    model: BaseModel, path: str, *, today: date, birth_date: date | None
) -> list[Issue]:
    """Issues of every MDE field of `model` alone (not of nested models)."""
    issues: list[Issue] = []
    for element in elements_of(type(model)):
        value = getattr(model, element.field)
        if value is None:
            continue
        where = f"{path}.{element.field}" if path else element.field
        if element.codeset is not None and isinstance(value, str):
            issues.extend(_code_issues(model, element, value, where, today))
        if element.field != _RECORD_ID:
            issues.extend(_size_issues(element, value, where))
        if isinstance(value, date):
            issues.extend(_date_issues(model, element, value, where, today, birth_date))
        elif element.kind == "YM" and isinstance(value, str):
            issues.extend(_month_issues(element, value, where, today, birth_date))
    return issues


def _code_issues(
    model: BaseModel, element: Element, value: str, where: str, today: date
) -> list[Issue]:
    assert element.codeset is not None
    codes = codeset(element.codeset)
    if not codes.contains(value):
        return [
            error(
                IssueCode.CODE_INVALID,
                f"{shown(value)} is not a code of {element.name} (code set {codes.name})",
                where,
                "mde.code",
            )
        ]
    dated_by = _CODE_DATE.get(type(model))
    on = getattr(model, dated_by) if dated_by is not None else today
    if isinstance(on, date) and not codes.contains(value, on):
        return [
            warning(
                IssueCode.CODE_INVALID,
                f"{element.name} {shown(value)} is not valid on {on.isoformat()} "
                f"(code set {codes.name} limits its dates)",
                where,
                "mde.code-validity",
            )
        ]
    return []


def _size_issues(element: Element, value: object, where: str) -> list[Issue]:
    if isinstance(value, str):
        text = value
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        return []
    issues: list[Issue] = []
    if element.length is not None and len(text) > element.length:
        issues.append(
            error(
                IssueCode.VALUE,
                f"{element.name} is {len(text)} characters long; the standard allows "
                f"{element.length}",
                where,
                "mde.length",
            )
        )
    if element.kind == "N" and isinstance(value, str) and not _DIGITS.match(value):
        issues.append(
            error(IssueCode.VALUE, f"{element.name} must be digits only", where, "mde.numeric")
        )
    return issues


def _date_issues(
    model: BaseModel,
    element: Element,
    value: date,
    where: str,
    today: date,
    birth_date: date | None,
) -> list[Issue]:
    issues: list[Issue] = []
    if value > today and (type(model), element.field) not in _MAY_BE_FUTURE:
        issues.append(
            error(IssueCode.VALUE, f"{element.name} is in the future", where, "mde.date-plausible")
        )
    if value < EARLIEST_DATE:
        issues.append(
            error(
                IssueCode.VALUE,
                f"{element.name} is before {EARLIEST_DATE.isoformat()}",
                where,
                "mde.date-plausible",
            )
        )
    if birth_date is not None and value < birth_date:
        issues.append(
            error(
                IssueCode.BUSINESS_RULE,
                f"{element.name} is before the child's birth date",
                where,
                "mde.date-before-birth",
            )
        )
    return issues


def _month_issues(
    element: Element, value: str, where: str, today: date, birth_date: date | None
) -> list[Issue]:
    matched = _MONTH.match(value)
    if matched is None:
        return [
            error(
                IssueCode.VALUE,
                f"{element.name} must be a month written YYYY-MM",
                where,
                "mde.month-format",
            )
        ]
    month = (int(matched.group(1)), int(matched.group(2)))
    issues: list[Issue] = []
    if month > (today.year, today.month):
        issues.append(
            error(IssueCode.VALUE, f"{element.name} is in the future", where, "mde.date-plausible")
        )
    if month[0] < EARLIEST_DATE.year:
        issues.append(
            error(
                IssueCode.VALUE,
                f"{element.name} is before {EARLIEST_DATE.year}",
                where,
                "mde.date-plausible",
            )
        )
    if birth_date is not None and month < (birth_date.year, birth_date.month):
        issues.append(
            error(
                IssueCode.BUSINESS_RULE,
                f"{element.name} is before the child's birth month",
                where,
                "mde.date-before-birth",
            )
        )
    return issues

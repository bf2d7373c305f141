"""Per-element checks driven by the MDE metadata: codes, lengths, digits, dates.

Nothing here names a model field except where a standard gives one field a different reading
(see `_CODE_DATE` and `_MAY_BE_FUTURE`); every other element is found by walking the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from typing import get_args

from pydantic import BaseModel

from hub.errors import Issue, IssueCode, error, warning
from hub.model.codes import CodeSet, codeset
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
    for name in _nested_fields(type(model)):
        value = getattr(model, name)
        where = f"{path}.{name}" if path else name
        if isinstance(value, BaseModel):
            yield from walk(value, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from walk(item, f"{where}[{index}]")


@cache
def _nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose type can hold a model (the only ones `walk` descends into)."""
    return tuple(
        name for name, info in model.model_fields.items() if _may_hold_model(info.annotation)
    )


def _may_hold_model(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_may_hold_model(argument) for argument in get_args(annotation))


def latest_event_date(record: BaseModel, today: date) -> date:
    """The latest date on which something in the record happened, and never after `today`.

    Age plausibility is judged on this day rather than on `today`, so that a historical record of
    a child who has since grown up (a start-up full load, a re-upload) is not rejected.
    """
    return latest_event_date_of([model for _, model in walk(record)], today)


def latest_event_date_of(models: Iterable[BaseModel], today: date) -> date:
    """`latest_event_date` of a record already walked (`models`: every model of its tree)."""
    latest: date | None = None
    for model in models:
        for name in _event_date_fields(type(model)):
            value = getattr(model, name)
            if isinstance(value, date) and (latest is None or value > latest):
                latest = value
    return today if latest is None else min(latest, today)


@cache
def _event_date_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        element.field
        for element in elements_of(model)
        if element.kind == "D8"
        and (model, element.field) not in _MAY_BE_FUTURE
        and (model, element.field) != _BIRTH_DATE
    )


def shown(value: str) -> str:
    """A value quoted for a message, cut short so a garbage field cannot flood a report."""
    text = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
    return repr(text)


def element_issues(
    model: BaseModel, path: str, *, today: date, birth_date: date | None
) -> list[Issue]:
    """Issues of every MDE field of `model` alone (not of nested models)."""
    # Ingest checks every element of every record, and nearly all pass: each check first asks a
    # cheap question whose yes means its full check would find nothing (the tests below and the
    # `_..._ok` functions), and only a no runs the full check, which alone words the issues.
    issues: list[Issue] = []
    kind = type(model)
    dated_by = _CODE_DATE.get(kind)
    code_day = getattr(model, dated_by) if dated_by is not None else today
    on = code_day if isinstance(code_day, date) else None
    for element, codes, sized, numeric, month in _checks(kind):
        value = getattr(model, element.field)
        if value is None:
            continue
        if isinstance(value, str):
            if codes is not None and not codes.contains(value, on):
                issues.extend(_code_issues(model, element, value, _where(path, element), today))
            if sized and (
                (element.length is not None and len(value) > element.length)
                or (numeric and _DIGITS.match(value) is None)
            ):
                issues.extend(_size_issues(element, value, _where(path, element)))
            if month:
                where = _where(path, element)
                issues.extend(_month_issues(element, value, where, today, birth_date))
            continue
        if sized and not _size_ok(element, value):
            issues.extend(_size_issues(element, value, _where(path, element)))
        if isinstance(value, date) and not _date_ok(model, element, value, today, birth_date):
            where = _where(path, element)
            issues.extend(_date_issues(model, element, value, where, today, birth_date))
    return issues


@cache
def _checks(
    model: type[BaseModel],
) -> tuple[tuple[Element, CodeSet | None, bool, bool, bool], ...]:
    """Per MDE field of `model`: the element, its code set, whether its size is checked (record
    IDs have their own rule), whether it is numeric text, whether it is a YYYY-MM month."""
    return tuple(
        (
            element,
            codeset(element.codeset) if element.codeset is not None else None,
            element.field != _RECORD_ID,
            element.kind == "N",
            element.kind == "YM",
        )
        for element in elements_of(model)
    )


def _where(path: str, element: Element) -> str:
    return f"{path}.{element.field}" if path else element.field


def _size_ok(element: Element, value: object) -> bool:
    """Whether `_size_issues` would find nothing (`element_issues` decides text itself)."""
    if not isinstance(value, str):
        return not isinstance(value, Decimal | int) or isinstance(value, bool)
    if element.length is not None and len(value) > element.length:
        return False
    return element.kind != "N" or _DIGITS.match(value) is not None


def _date_ok(
    model: BaseModel, element: Element, value: date, today: date, birth_date: date | None
) -> bool:
    """Whether `_date_issues` would find nothing."""
    return (
        (value <= today or (type(model), element.field) in _MAY_BE_FUTURE)
        and value >= EARLIEST_DATE
        and (birth_date is None or value >= birth_date)
    )


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


_DECIMAL_PLACES = 2


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
    if isinstance(value, Decimal) and (
        value < 0 or value.as_tuple().exponent < -_DECIMAL_PLACES  # type: ignore[operator]
    ):
        # MDE numbers with decimals (credits N(3,2), clock hours) carry at most two places and
        # are never negative (the education-record XSD says the same: fractionDigits 2, min 0).
        issues.append(
            error(
                IssueCode.VALUE,
                f"{element.name} must be zero or more with at most {_DECIMAL_PLACES} decimal "
                f"places, not {text}",
                where,
                "mde.decimals",
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

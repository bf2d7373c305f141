"""FHIR search parameters -> the criteria a search runs on the stored projection.

`parse_search` reads the query parameters of one search (GET query or POST `_search` form) and
returns a `SearchRequest`: typed criteria on the projection fields of `_projection.py`, plus the
result parameters (`_count`, `_summary`, `_include`, `_revinclude`, the page cursor). Every
problem of the query is reported at once; an unknown parameter is one of them unless the client
asked for lenient handling (STANDARDS.md §2: spark #436).

Criteria are plain values (`field`, `op`, `values`); the store turns them into its own query
language. Every search the table allows has at least one criterion on an indexed field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from hub.errors import HubError, Issue, IssueCode, error
from hub.fhir._projection import NAME_KEY_LENGTH, name_words
from hub.fhir._search_params import (
    CURSOR_PARAMETER,
    DATE,
    DEFAULT_COUNT,
    INCLUDES,
    MAX_COUNT,
    PARAMETERS,
    REFERENCE,
    REVINCLUDES,
    STRING,
    TOKEN,
    SearchParam,
)

# Criterion operators (the store implements each).
IN = "in"  # the field holds one of `values`
NOT_IN = "nin"
GTE = "gte"  # one value, inclusive lower bound
LT = "lt"  # one value, exclusive upper bound
PREFIX = "prefix"  # the field holds a value starting with one of `values`
MISSING = "missing"  # values == (True,) or (False,)

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100
_ID = re.compile(r"^[A-Za-z0-9\-\.]{1,64}$")
_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?(?P<value>\d{4}(-\d{2}(-\d{2})?)?)(T.*)?$"
)
_JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


@dataclass(frozen=True, slots=True)
class Criterion:
    field: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SearchRequest:
    resource_type: str
    criteria: tuple[Criterion, ...] = ()
    count: int = DEFAULT_COUNT
    summary_count: bool = False
    include: tuple[str, ...] = ()  # "Immunization:patient"
    revinclude: tuple[str, ...] = ()  # "Immunization:patient"
    after: str | None = None  # the page cursor: the last resource id of the previous page
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # as used (self link)
    ignored: tuple[str, ...] = ()  # unknown parameters dropped under lenient handling


def parse_search(
    resource_type: str, params: Iterable[tuple[str, str]], *, lenient: bool = False
) -> SearchRequest:
    """Parse one search's parameters; `HubError` (400) lists every problem found."""
    known = PARAMETERS[resource_type]
    criteria: list[Criterion] = []
    problems: list[Issue] = []
    used: list[tuple[str, str]] = []
    ignored: list[str] = []
    result: dict[str, Any] = {"include": [], "revinclude": []}
    for key, value in params:
        name, _, modifier = key.partition(":")
        try:
            if name in known:
                criteria += _criteria(resource_type, known[name], modifier or None, value)
            elif _control(resource_type, name, modifier, value, result):
                pass
            elif lenient:
                ignored.append(key)
                continue
            else:
                supported = ", ".join(sorted(known))
                raise _unsupported(
                    key, f"unknown search parameter {key!r} for {resource_type} ({supported})"
                )
        except HubError as exc:
            problems += exc.issues
            continue
        if name != CURSOR_PARAMETER:
            used.append((key, value))
    if problems:
        raise HubError(problems)
    return SearchRequest(
        resource_type,
        tuple(criteria),
        count=result.get("count", DEFAULT_COUNT),
        summary_count=result.get("summary_count", False),
        include=tuple(dict.fromkeys(result["include"])),
        revinclude=tuple(dict.fromkeys(result["revinclude"])),
        after=result.get("after"),
        params=tuple(used),
        ignored=tuple(ignored),
    )


def _control(
    resource_type: str, name: str, modifier: str, value: str, result: dict[str, Any]
) -> bool:
    """Apply a result parameter; False when `name` is not one."""
    if name == "_count":
        if not value.isdigit():
            raise _invalid(name, f"_count must be a whole number, not {value!r}")
        result["count"] = min(int(value), MAX_COUNT)
        result["summary_count"] = result.get("summary_count", False) or int(value) == 0
    elif name == "_summary":
        if value not in ("count", "false"):
            raise _unsupported(name, "_summary supports count and false only")
        result["summary_count"] = value == "count"
    elif name in ("_include", "_revinclude"):
        offered = (INCLUDES if name == "_include" else REVINCLUDES).get(resource_type, ())
        wanted = ":".join(value.split(":")[:2])
        target = value.split(":")[2] if value.count(":") == 2 else "Patient"
        if modifier or wanted not in offered or target != "Patient":
            what = ", ".join(offered) or "none"
            raise _unsupported(name, f"{name}={value} is not offered here (offered: {what})")
        result[name.removeprefix("_")].append(wanted)
    elif name == "_format":
        if value not in _JSON_FORMATS:
            raise _unsupported(name, "only JSON is served (application/fhir+json)")
    elif name == "_total":
        if value != "none":
            raise _unsupported(name, "totals are opt-in through _summary=count")
    elif name == CURSOR_PARAMETER:
        if not _ID.match(value):
            raise _invalid(name, "not a page cursor of this server")
        result["after"] = f"{resource_type}/{value}"
    else:
        return False
    return True


def _criteria(
    resource_type: str, param: SearchParam, modifier: str | None, value: str
) -> list[Criterion]:
    if modifier is not None and modifier not in param.modifiers:
        offered = ", ".join(f":{m}" for m in param.modifiers) or "none"
        raise _unsupported(
            f"{param.name}:{modifier}",
            f"modifier :{modifier} is not supported on {param.name} (supported: {offered})",
        )
    if modifier == "missing":
        if value not in ("true", "false"):
            raise _invalid(f"{param.name}:missing", ":missing takes true or false")
        return [Criterion(_missing_field(param), MISSING, (value == "true",))]
    if value == "":
        raise _invalid(param.name, f"{param.name} needs a value")
    if param.type == TOKEN:
        return _token(resource_type, param, modifier, value)
    if param.type == REFERENCE:
        return _reference(param, value)
    if param.type == DATE:
        return _date(param, value)
    if param.type == STRING:
        return _string(param, modifier, value)
    raise _unsupported(param.name, f"{param.type} parameters are not supported")


def _missing_field(param: SearchParam) -> str:
    return "x_name_words" if param.type == STRING else param.field


def _token(
    resource_type: str, param: SearchParam, modifier: str | None, value: str
) -> list[Criterion]:
    tokens = tuple(part for part in value.split(",") if part)
    if param.name == "_id":
        bad = [token for token in tokens if not _ID.match(token)]
        if bad:
            raise _invalid("_id", f"not a resource id: {bad[0]!r}")
        tokens = tuple(f"{resource_type}/{token}" for token in tokens)
    return [Criterion(param.field, NOT_IN if modifier == "not" else IN, tokens)]


def _reference(param: SearchParam, value: str) -> list[Criterion]:
    ids: list[str] = []
    for part in value.split(","):
        segments = part.rstrip("/").split("/")
        if len(segments) >= 2 and segments[-2] != "Patient":
            raise _invalid(param.name, f"{param.name} references a Patient, not {segments[-2]}")
        if not _ID.match(segments[-1]):
            raise _invalid(param.name, f"not a Patient reference: {part!r}")
        ids.append(segments[-1])
    return [Criterion(param.field, IN, tuple(ids))]


def _date(param: SearchParam, value: str) -> list[Criterion]:
    if "," in value:
        raise _unsupported(param.name, "date parameters take one value (repeat it to AND)")
    match = _DATE.match(value)
    if match is None:
        raise _invalid(param.name, f"{value!r} is not a FHIR date (e.g. ge2014-03-09)")
    prefix = match["prefix"] or "eq"
    if prefix in ("ne", "ap"):
        raise _unsupported(param.name, f"the {prefix} prefix is not supported")
    try:
        start, end = _day_range(match["value"])
    except ValueError:
        raise _invalid(param.name, f"{value!r} is not a calendar date") from None
    last = end - timedelta(days=1)
    if prefix == "eq" and len(match["value"]) == len("YYYY-MM-DD"):
        # A day is one indexed value: the narrowest plan there is.
        return [Criterion(param.field, IN, (start.isoformat(),))]
    if prefix == "eq":
        bounds = [Criterion(param.field, GTE, (start.isoformat(),))]
        bounds.append(Criterion(param.field, LT, (end.isoformat(),)))
        years = _years(start.year, last.year)
    elif prefix in ("gt", "sa"):
        bounds, years = [Criterion(param.field, GTE, (end.isoformat(),))], _years(end.year)
    elif prefix == "ge":
        bounds, years = [Criterion(param.field, GTE, (start.isoformat(),))], _years(start.year)
    elif prefix in ("lt", "eb"):
        bounds = [Criterion(param.field, LT, (start.isoformat(),))]
        years = _years(MIN_YEAR, start.year)
    else:  # le
        bounds, years = (
            [Criterion(param.field, LT, (end.isoformat(),))],
            _years(MIN_YEAR, last.year),
        )
    # The year list is what an index plans with; the bounds are checked on its candidates.
    return [Criterion("x_year", IN, years), *bounds]


def _day_range(text: str) -> tuple[date, date]:
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
    if len(parts) == 2:
        start = date(parts[0], parts[1], 1)
        following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return start, following
    start = date(parts[0], parts[1], parts[2])
    return start, start + timedelta(days=1)


def _years(first: int, last: int = MAX_YEAR) -> tuple[str, ...]:
    return tuple(str(year) for year in range(max(first, MIN_YEAR), min(last, MAX_YEAR) + 1))


def _string(param: SearchParam, modifier: str | None, value: str) -> list[Criterion]:
    alternatives = [part for part in value.split(",") if part.strip()]
    words = [name_words(part) for part in alternatives]
    if not alternatives or not all(words):
        raise _invalid(param.name, f"{param.name} needs letters or digits to search for")
    tags = param.name_tags
    if modifier == "exact":
        exact = tuple(f"{tag}:{part}" for part in alternatives for tag in tags)
        keys = tuple({_key(tag, found[0]) for found in words for tag in tags})
        return [Criterion("x_name_keys", IN, keys), Criterion("x_name_exact", IN, exact)]
    if len(alternatives) == 1:
        criteria: list[Criterion] = []
        for word in words[0]:
            criteria.append(Criterion("x_name_keys", IN, tuple(_key(tag, word) for tag in tags)))
            if len(word) > NAME_KEY_LENGTH:
                prefixes = tuple(f"{tag}:{word}" for tag in tags)
                criteria.append(Criterion("x_name_words", PREFIX, prefixes))
        return criteria
    if any(len(found) > 1 for found in words):
        raise _unsupported(param.name, "alternatives (a,b) of several words are not supported")
    keys = tuple(sorted({_key(tag, found[0]) for found in words for tag in tags}))
    prefixes = tuple(f"{tag}:{found[0]}" for found in words for tag in tags)
    return [Criterion("x_name_keys", IN, keys), Criterion("x_name_words", PREFIX, prefixes)]


def _key(tag: str, word: str) -> str:
    return f"{tag}:{word[:NAME_KEY_LENGTH]}"


def _invalid(where: str, message: str) -> HubError:
    return HubError([error(IssueCode.INVALID, message, where)])


def _unsupported(where: str, message: str) -> HubError:
    return HubError([error(IssueCode.NOT_SUPPORTED, message, where)])

"""Date transforms: state date formats with explicit century rules, Excel serials, MMYYYY months.

Error messages never repeat the value (it may be a child's birth date); the mapping engine
carries the value beside the issue for the acknowledgement.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache
from typing import Any

from hub.mapping._registry import Arg, Context, LoadSite, TransformError, transform

_DIRECTIVE = re.compile(r"%(.)")
_ALLOWED = frozenset("dmyYbB%")
_MAX_EXCEL_SERIAL = 2958465  # 9999-12-31 in the 1900 system
_MONTH_FORMATS = {
    "MMYYYY": re.compile(r"^(?P<m>\d{1,2})(?P<y>\d{4})$"),
    "YYYYMM": re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"),
    "MM/YYYY": re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    "YYYY-MM": re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),
}


def _prepare_parse_date(args: dict[str, Any], site: LoadSite) -> dict[str, Any]:
    formats = args["format"] if isinstance(args["format"], list) else [args["format"]]
    if not formats:
        site.problem("give at least one format", "format")
    for fmt in formats:
        directives = set(_DIRECTIVE.findall(fmt))
        unknown = sorted(directives - _ALLOWED)
        if unknown:
            site.problem(
                f"format {fmt!r} uses {', '.join('%' + d for d in unknown)}; dates use only "
                "%d %m %b %B %Y %y",
                "format",
            )
        if "d" not in directives or not directives & set("mbB") or not directives & set("yY"):
            site.problem(f"format {fmt!r} needs a day, a month and a year", "format")
        if "y" in directives and args.get("century_pivot") is None:
            site.problem(
                f"format {fmt!r} has a two-digit year (%y): set century_pivot, e.g. 30 reads "
                "00-29 as 2000-2029 and 30-99 as 1930-1999",
                "format",
            )
    pivot = args.get("century_pivot")
    if pivot is not None and not 0 <= pivot <= 99:
        site.problem("century_pivot is a two-digit year, 0 to 99", "century_pivot")
    return {**args, "format": formats}


@transform(
    "parse_date",
    doc="A date in one of the state's formats, with an explicit century rule.",
    returns="date",
    prepare=_prepare_parse_date,
    args={
        "format": Arg(
            "text-or-texts",
            "strptime format, or a list tried in order: `%m/%d/%Y`, `%Y%m%d`, `%d-%b-%y`. "
            "Directives allowed: %d %m %b %B %Y %y.",
        ),
        "century_pivot": Arg(
            "int",
            "Required with %y. Two-digit years below the pivot are 20xx, the others 19xx "
            "(pivot 30: 00-29 -> 2000-2029, 30-99 -> 1930-1999).",
            default=None,
        ),
        "not_after": Arg(
            "text",
            "`today`: the date cannot be in the future (birth dates). A two-digit year that "
            "would be in the future moves back a century; a four-digit one is an error.",
            default=None,
            choices=("today",),
        ),
    },
)
def parse_date(
    value: str,
    context: Context,
    *,
    format: list[str],
    century_pivot: int | None,
    not_after: str | None,
) -> date:
    """Read a date written in one of the given formats, tried in order; the first that matches
    wins. Month names (`%b`: JAN, Feb, mar) are English and case-insensitive.

    Two-digit years never rely on Python's own pivot: `century_pivot` says which century each
    one belongs to. With `not_after: today`, a two-digit-year date after today is read a
    century earlier (a birth date `05-MAR-29` is 1929 in 2026, not 2029); any other future
    date is an error issue. A value matching no format is an error issue."""
    text = value.strip()
    for fmt in format:
        parsed = _read(text, fmt)
        if parsed is None:
            continue
        two_digit = "%y" in fmt
        if two_digit and century_pivot is not None:
            parsed = _in_century(parsed, century_pivot)
        if not_after == "today" and parsed > context.today:
            if not two_digit:
                raise TransformError("date is in the future")
            parsed = _shift_years(parsed, -100)
        return parsed
    shown = " or ".join(format)
    raise TransformError(f"not a valid date in the format {shown}")


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_PATTERNS = {
    "d": r"(?P<d>\d{1,2})",
    "m": r"(?P<m>\d{1,2})",
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "b": r"(?P<b>[A-Za-z]{3})",
    "B": r"(?P<B>[A-Za-z]+)",
    "%": "%",
}


@cache
def _compiled(fmt: str) -> re.Pattern[str]:
    # strptime costs ~40 µs a call; a format compiled once reads a date in a few µs, which
    # matters at tens of thousands of dates a file. It keeps strptime's rules for the allowed
    # directives: 1-2 digit day and month, English month names in any case, spaces match runs.
    pattern = ""
    for literal, directive in re.findall(r"([^%]*)(?:%(.))?", fmt):
        pattern += re.escape(literal).replace(r"\ ", r"\s+")
        if directive:
            pattern += _PATTERNS.get(directive, re.escape(directive))
    return re.compile(pattern, re.IGNORECASE)


def _read(text: str, fmt: str) -> date | None:
    match = _compiled(fmt).fullmatch(text)
    if match is None:
        return None
    found = match.groupdict()
    if found.get("Y"):
        year = int(found["Y"])
    else:
        two = int(found.get("y") or 0)
        year = (2000 if two < 69 else 1900) + two  # strptime's pivot; century_pivot decides
    month_name = found.get("b") or found.get("B")
    month = _MONTHS.get(month_name.lower(), 0) if month_name else int(found.get("m") or 0)
    try:
        return date(year, month, int(found.get("d") or 0))
    except ValueError:
        return None


def _in_century(parsed: date, pivot: int) -> date:
    two = parsed.year % 100
    year = (2000 if two < pivot else 1900) + two
    return _shift_years(parsed, year - parsed.year)


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError as exc:  # 29 February in a year that has none
        raise TransformError("29 February does not exist in that century's year") from exc


@transform(
    "excel_serial_date",
    doc="An Excel serial day number to a date (1900 or 1904 system).",
    returns="date",
    args={
        "system": Arg(
            "int",
            "1900 (Windows Excel, the default) or 1904 (old Mac Excel).",
            default=1900,
            choices=(1900, 1904),
        )
    },
)
def excel_serial_date(value: str, context: Context, *, system: int) -> date:
    """Read a spreadsheet serial day number (`39155` -> 2007-03-14). A time of day after the
    point (`39155.5`) is dropped.

    In the 1900 system, serial 1 is 1900-01-01 and serial 60 is 29 February 1900, a day that
    never existed (Excel copied Lotus 1-2-3's leap-year bug): it is an error issue, and serials
    from 61 on are shifted back one day so they land on the true date. In the 1904 system,
    serial 0 is 1904-01-01. Serials before the first day or past 9999-12-31 are error issues."""
    text = value.strip()
    match = re.fullmatch(r"(\d+)(\.\d*)?", text)
    if match is None:
        raise TransformError("not an Excel serial day number")
    serial = int(match.group(1))
    if system == 1904:
        if serial > _MAX_EXCEL_SERIAL - 1462:
            raise TransformError("Excel serial is past 9999-12-31")
        return date(1904, 1, 1) + timedelta(days=serial)
    if serial == 60:
        raise TransformError("Excel serial 60 is 29 February 1900, a day that never existed")
    if serial < 1 or serial > _MAX_EXCEL_SERIAL:
        raise TransformError("Excel serial is outside 1900-01-01 .. 9999-12-31")
    epoch = date(1899, 12, 31) if serial < 60 else date(1899, 12, 30)
    return epoch + timedelta(days=serial)


@transform(
    "month_year",
    doc="A month such as MMYYYY to the canonical YYYY-MM.",
    args={
        "format": Arg(
            "text",
            "How the state writes the month.",
            default="MMYYYY",
            choices=tuple(_MONTH_FORMATS),
        )
    },
)
def month_year(
    value: str,
    context: Context,
    *,
    format: str,
) -> str:
    """Turn a month (the MDE assessment administration date is `MMYYYY`) into `YYYY-MM`:
    `052024` -> `2024-05`. A one-digit month is accepted (`52024`, as spreadsheets write a
    number that lost its leading zero). A month outside 01-12 is an error issue."""
    match = _MONTH_FORMATS[format].match(value.strip())
    if match is None:
        raise TransformError(f"not a month written {format}")
    month = int(match.group("m"))
    if not 1 <= month <= 12:
        raise TransformError("month is not 01-12")
    return f"{match.group('y')}-{month:02d}"

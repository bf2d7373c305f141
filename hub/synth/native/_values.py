"""How the sample states spell dates, flags, numbers and codes in their native files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final, TypeVar

_T = TypeVar("_T")

_MONTHS: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
# Excel's 1900 date system counts 1900-02-29, which never was: from 1 March 1900 on, serial n is
# 30 December 1899 plus n days.
_EXCEL_EPOCH: Final = date(1899, 12, 30).toordinal()


def text(value: object) -> str:
    return "" if value is None else str(value)


def mdy(day: date | None) -> str:
    """MM/DD/YYYY, or "" when absent."""
    return "" if day is None else f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def ymd(day: date | None) -> str:
    """YYYYMMDD (the MDE D8 date), or "" when absent."""
    return "" if day is None else f"{day.year:04d}{day.month:02d}{day.day:02d}"


def iso(day: date | None) -> str | None:
    """YYYY-MM-DD, or None when absent."""
    return None if day is None else day.isoformat()


def dd_mon_yy(day: date | None) -> str | None:
    """Oracle's default DD-MON-YY (05-MAR-14), or None when absent."""
    if day is None:
        return None
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year % 100:02d}"


def excel_serial(day: date | None) -> int | None:
    """Days since 1899-12-30: Excel's serial number for dates from 1 March 1900 on."""
    return None if day is None else day.toordinal() - _EXCEL_EPOCH


def month_year(year_month: str | None, separator: str = "") -> str:
    """The model's YYYY-MM as MMYYYY (the MDE form) or MM<separator>YYYY; "" when absent."""
    if year_month is None:
        return ""
    year, month = year_month.split("-")
    return f"{month}{separator}{year}"


def decimal(value: Decimal | None) -> str | None:
    """A decimal in positional notation, digits kept (`0.50`, never `5E-1`); None when absent."""
    return None if value is None else f"{value:f}"


def flag(value: bool | None, yes: str, no: str, absent: str = "") -> str:
    if value is None:
        return absent
    return yes if value else no


def hundredths(value: Decimal | None) -> int | None:
    """A decimal as a whole number of hundredths, for fields with two implied decimals."""
    return None if value is None else int((value * 100).to_integral_value())


def code(table: dict[str, str], value: str | None) -> str:
    """A canonical code in a state's own spelling; a code the table lacks passes through."""
    return "" if value is None else table.get(value, value)


def most_recent(items: Sequence[_T], limit: int) -> Sequence[_T]:
    """The last `limit` items: the model keeps every list in time order."""
    return items[-limit:] if len(items) > limit else items

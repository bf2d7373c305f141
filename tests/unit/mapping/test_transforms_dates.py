"""Date transforms: state formats with explicit centuries, Excel serials, MMYYYY months."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.mapping._registry import TransformError

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import RunTransform


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("03/14/2012", "%m/%d/%Y", date(2012, 3, 14)),
        ("3/4/2012", "%m/%d/%Y", date(2012, 3, 4)),
        ("20120314", "%Y%m%d", date(2012, 3, 14)),
        ("14-MAR-12", "%d-%b-%y", date(2012, 3, 14)),
        ("14-mar-12", "%d-%b-%y", date(2012, 3, 14)),
        (" 2012-03-14 ", "%Y-%m-%d", date(2012, 3, 14)),
    ],
)
def test_parse_date_reads_state_formats(
    run: RunTransform, value: str, fmt: str, expected: date
) -> None:
    assert run("parse_date", value, format=fmt, century_pivot=30)[0] == expected


def test_parse_date_tries_formats_in_order(run: RunTransform) -> None:
    formats = ["%m/%d/%Y", "%Y%m%d"]
    assert run("parse_date", "20120314", format=formats)[0] == date(2012, 3, 14)
    assert run("parse_date", "03/14/2012", format=formats)[0] == date(2012, 3, 14)


@pytest.mark.parametrize(
    ("value", "pivot", "expected"),
    [
        ("01-JAN-29", 30, date(2029, 1, 1)),
        ("01-JAN-30", 30, date(1930, 1, 1)),
        ("01-JAN-00", 30, date(2000, 1, 1)),
        ("01-JAN-69", 70, date(2069, 1, 1)),
        ("01-JAN-99", 0, date(1999, 1, 1)),
    ],
)
def test_parse_date_uses_the_explicit_century_pivot_not_pythons(
    run: RunTransform, value: str, pivot: int, expected: date
) -> None:
    assert run("parse_date", value, format="%d-%b-%y", century_pivot=pivot)[0] == expected


def test_not_after_today_moves_a_two_digit_future_birth_year_back_a_century(
    run: RunTransform,
) -> None:
    # Pivot 50 reads 29 as 2029, after TODAY (2026-11-28): a birth date cannot be, so 1929.
    found = run("parse_date", "05-MAR-29", format="%d-%b-%y", century_pivot=50, not_after="today")
    assert found[0] == date(1929, 3, 5)


def test_not_after_today_refuses_a_four_digit_future_date(run: RunTransform) -> None:
    with pytest.raises(TransformError, match="future"):
        run("parse_date", "01/01/2031", format="%m/%d/%Y", not_after="today")


def test_parse_date_refuses_an_impossible_date_without_echoing_it(run: RunTransform) -> None:
    with pytest.raises(TransformError) as caught:
        run("parse_date", "02/30/2012", format="%m/%d/%Y")
    assert "02/30/2012" not in str(caught.value)


def test_29_february_in_a_non_leap_century_is_an_error(run: RunTransform) -> None:
    with pytest.raises(TransformError, match="29 February"):
        run("parse_date", "29-FEB-00", format="%d-%b-%y", century_pivot=0)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("1", date(1900, 1, 1)),
        ("59", date(1900, 2, 28)),
        ("61", date(1900, 3, 1)),
        ("39155", date(2007, 3, 14)),
        ("45000.75", date(2023, 3, 15)),
    ],
)
def test_excel_1900_serials_step_over_the_phantom_leap_day(
    run: RunTransform, serial: str, expected: date
) -> None:
    assert run("excel_serial_date", serial)[0] == expected


def test_excel_serial_60_is_the_day_that_never_existed(run: RunTransform) -> None:
    with pytest.raises(TransformError, match="29 February 1900"):
        run("excel_serial_date", "60")


def test_excel_1904_serials_start_on_1_january_1904(run: RunTransform) -> None:
    assert run("excel_serial_date", "0", system=1904)[0] == date(1904, 1, 1)
    assert run("excel_serial_date", "37693", system=1904)[0] == date(2007, 3, 14)


@pytest.mark.parametrize("serial", ["0", "-5", "abc", "99999999"])
def test_excel_serials_out_of_range_are_errors(run: RunTransform, serial: str) -> None:
    with pytest.raises(TransformError):
        run("excel_serial_date", serial)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_excel_1900_serial_round_trips_every_date_after_february_1900(day: date) -> None:
    from hub.mapping._dates import excel_serial_date
    from hub.mapping._registry import Context, RowView

    serial = (day - date(1899, 12, 30)).days
    context = Context(RowView({}), date(2026, 11, 28))
    assert excel_serial_date(str(serial), context, system=1900) == day
    if day >= date(1904, 1, 1):
        assert excel_serial_date(str(serial - 1462), context, system=1904) == day


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("052024", "MMYYYY", "2024-05"),
        ("52024", "MMYYYY", "2024-05"),
        ("202405", "YYYYMM", "2024-05"),
        ("5/2024", "MM/YYYY", "2024-05"),
        ("2024-5", "YYYY-MM", "2024-05"),
    ],
)
def test_month_year_writes_the_canonical_month(
    run: RunTransform, value: str, fmt: str, expected: str
) -> None:
    assert run("month_year", value, format=fmt)[0] == expected


@pytest.mark.parametrize("value", ["132024", "002024", "2024", "MAY2024"])
def test_month_year_refuses_bad_months(run: RunTransform, value: str) -> None:
    with pytest.raises(TransformError):
        run("month_year", value)

"""Text, flag, number and constant transforms, each called as a mapping step would call it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from hub.mapping._registry import TransformError

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import RunTransform


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("trim", "  María  ", "María"),
        ("upper", "María de la Cruz", "MARÍA DE LA CRUZ"),
        ("lower", "MARÍA ÑUÑEZ", "maría ñuñez"),
        ("collapse_spaces", " DE  LA\tCRUZ  ", "DE LA CRUZ"),
    ],
)
def test_text_functions_keep_accents(
    run: RunTransform, name: str, value: str, expected: str
) -> None:
    assert run(name, value)[0] == expected


def test_zero_pad_pads_to_width_and_leaves_longer_values(run: RunTransform) -> None:
    assert run("zero_pad", "7", width=3)[0] == "007"
    assert run("zero_pad", " 1 ", width=2)[0] == "01"
    assert run("zero_pad", "1234", width=3)[0] == "1234"


@pytest.mark.parametrize("value", ["Y", "y", " YES ", "1", "S", "si", "Sí", "T", "true"])
def test_yes_no_reads_every_yes_spelling(run: RunTransform, value: str) -> None:
    assert run("yes_no", value)[0] is True


@pytest.mark.parametrize("value", ["N", "no", "0", "F", "FALSE"])
def test_yes_no_reads_every_no_spelling(run: RunTransform, value: str) -> None:
    assert run("yes_no", value)[0] is False


def test_yes_no_refuses_an_unknown_value_without_echoing_it(run: RunTransform) -> None:
    with pytest.raises(TransformError) as caught:
        run("yes_no", "MAYBE")
    assert "MAYBE" not in str(caught.value)


def test_yes_no_takes_a_states_own_spellings(run: RunTransform) -> None:
    assert run("yes_no", "X", extra_yes=["x"])[0] is True
    assert run("yes_no", "-", extra_no=["-"])[0] is False


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("0.50", 0, Decimal("0.50")),
        ("1", 0, Decimal(1)),
        ("050", 2, Decimal("0.50")),
        ("-3.5", 0, Decimal("-3.5")),
        (".5", 0, Decimal("0.5")),
        ("1.25", 2, Decimal("1.25")),
    ],
)
def test_decimal_keeps_digits_and_applies_implied_places(
    run: RunTransform, value: str, places: int, expected: Decimal
) -> None:
    result = run("decimal", value, implied_places=places)[0]
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", ["1e3", "1,000", "abc", "1.2.3"])
def test_decimal_refuses_what_is_not_a_plain_decimal(run: RunTransform, value: str) -> None:
    with pytest.raises(TransformError):
        run("decimal", value)


def test_integer_drops_leading_zeros_and_refuses_fractions(run: RunTransform) -> None:
    assert run("integer", " 007 ")[0] == 7
    with pytest.raises(TransformError):
        run("integer", "1.5")


def test_digits_only_cleans_phone_numbers(run: RunTransform) -> None:
    assert run("digits_only", "(956) 555-0142")[0] == "9565550142"
    assert run("digits_only", "n/a")[0] is None
    with pytest.raises(TransformError, match="11 digits, not 10"):
        run("digits_only", "1-956-555-0142", length=10)


def test_constant_replaces_even_a_blank_value(run: RunTransform) -> None:
    assert run("constant", None, value="USA")[0] == "USA"
    assert run("constant", "MEX", value="USA")[0] == "USA"


def test_default_if_blank_fills_only_blanks(run: RunTransform) -> None:
    assert run("default_if_blank", None, value="UG")[0] == "UG"
    assert run("default_if_blank", "  ", value="UG")[0] == "UG"
    assert run("default_if_blank", "05", value="UG")[0] == "05"


def test_concat_appends_non_blank_fields_of_the_same_row(run: RunTransform) -> None:
    row = {"ADDR2": "Suite 4", "ADDR3": " "}
    result = run("concat", "1200 Calle Naranjo", row, fields=["ADDR2", "ADDR3"], separator=", ")
    assert result[0] == "1200 Calle Naranjo, Suite 4"
    assert run("concat", None, {"A": ""}, fields=["A"])[0] is None

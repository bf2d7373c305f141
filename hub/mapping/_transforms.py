"""The closed vocabulary: text, number, flag and constant functions, plus the registry they join.

Importing this module registers every transform (dates, names and code lookups live in their own
modules and are imported here for that reason), so `TRANSFORMS` is complete once it is imported.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from hub.mapping import _dates, _lookup, _names
from hub.mapping._registry import TRANSFORMS, Arg, Context, TransformError, transform

__all__ = ["TRANSFORMS"]

# The vocabulary lives in these modules too; importing them is what registers their functions.
_REGISTERING = (_dates, _lookup, _names)

_SPACES = re.compile(r"\s+")
_YES = frozenset({"Y", "YES", "1", "S", "SI", "SÍ", "T", "TRUE"})
_NO = frozenset({"N", "NO", "0", "F", "FALSE"})


@transform("trim", doc="Remove spaces at both ends.")
def trim(value: str, context: Context) -> str:
    """Remove whitespace at both ends of the value. A value that becomes empty is blank."""
    return value.strip()


@transform("upper", doc="Upper-case the text, accents kept.")
def upper(value: str, context: Context) -> str:
    """Upper-case the text. Accented letters keep their accents (`María` -> `MARÍA`)."""
    return value.upper()


@transform("lower", doc="Lower-case the text, accents kept.")
def lower(value: str, context: Context) -> str:
    """Lower-case the text. Accented letters keep their accents (`MARÍA` -> `maría`)."""
    return value.lower()


@transform("collapse_spaces", doc="Trim, and turn each run of spaces into one space.")
def collapse_spaces(value: str, context: Context) -> str:
    """Trim the value and replace every run of whitespace (tabs, double spaces) by one space:
    `"DE  LA   CRUZ "` -> `"DE LA CRUZ"`."""
    return _SPACES.sub(" ", value).strip()


@transform(
    "yes_no",
    doc="A Yes/No flag to true or false.",
    returns="bool",
    args={
        "extra_yes": Arg("texts", "More spellings read as yes (any case).", default=[]),
        "extra_no": Arg("texts", "More spellings read as no (any case).", default=[]),
    },
)
def yes_no(value: str, context: Context, *, extra_yes: list[str], extra_no: list[str]) -> bool:
    """Read a flag. Yes: `Y`, `YES`, `1`, `S`, `SI`, `SÍ`, `T`, `TRUE`; no: `N`, `NO`, `0`,
    `F`, `FALSE`, in any case and with spaces around. Any other value is an error issue;
    `extra_yes` and `extra_no` add a state's own spellings (quote them in YAML: `["X"]`).
    The arguments are not called `yes` and `no` because YAML reads those keys as booleans."""
    folded = value.strip().upper()
    if folded in _YES or folded in {item.upper() for item in extra_yes}:
        return True
    if folded in _NO or folded in {item.upper() for item in extra_no}:
        return False
    raise TransformError("not a Yes/No value")


@transform(
    "decimal",
    doc="A decimal number, digits kept (`0.50` stays `0.50`).",
    returns="decimal",
    args={
        "implied_places": Arg(
            "int",
            "Decimal places implied by a fixed-width layout without a point (`050` with 2 -> "
            "`0.50`); 0 when the value carries its own point.",
            default=0,
        )
    },
)
def to_decimal(value: str, context: Context, *, implied_places: int) -> Decimal:
    """Read a decimal number such as `0.5`, `1.00` or `-3`. With `implied_places: 2`, a value
    without a decimal point is scaled (`050` -> `0.50`). Exponents, thousands separators and
    anything else are error issues."""
    text = value.strip()
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise TransformError("not a decimal number")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise TransformError("not a decimal number") from exc
    if implied_places and "." not in text:
        number = number.scaleb(-implied_places)
    return number


@transform("integer", doc="A whole number (`007` -> 7).", returns="int")
def integer(value: str, context: Context) -> int:
    """Read a whole number made of digits with an optional sign; leading zeros are dropped
    (`007` -> 7). `1.5`, `1e3` and text are error issues."""
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise TransformError("not a whole number")
    return int(text)


@transform(
    "digits_only",
    doc="Keep only the digits (phone numbers).",
    args={
        "length": Arg(
            "int",
            "When set, the number of digits the result must have; otherwise an error issue.",
            default=None,
        )
    },
)
def digits_only(value: str, context: Context, *, length: int | None) -> str | None:
    """Keep the digits 0-9 and drop everything else: `(956) 555-0142` -> `9565550142`. A value
    without digits becomes blank. With `length`, a result of another length is an error issue."""
    digits = "".join(char for char in value if "0" <= char <= "9")
    if length is not None and digits and len(digits) != length:
        raise TransformError(f"has {len(digits)} digits, not {length}")
    return digits or None


@transform(
    "zero_pad",
    doc="Pad with leading zeros to a width (`1` -> `01`).",
    args={"width": Arg("int", "The width to pad to.")},
)
def zero_pad(value: str, context: Context, *, width: int) -> str:
    """Pad the trimmed value with leading zeros up to `width` characters: grade `1` -> `01`,
    record id `7` -> `007`. Longer values are left as they are (the model checks lengths)."""
    return value.strip().rjust(width, "0")


@transform(
    "constant",
    doc="Replace the value by a constant.",
    runs_on_blank=True,
    args={"value": Arg("text", "The constant.")},
)
def constant(value: str | None, context: Context, *, value_: str) -> str:
    """Replace whatever the value is (blank included) by `value`. A rule's own `value:` key is
    the usual way to set a constant; this step is for the end of a chain."""
    return value_


@transform(
    "concat",
    doc="Append other fields of the same row, with a separator.",
    runs_on_blank=True,
    args={
        "fields": Arg("fields", "The fields to append, in order."),
        "separator": Arg("text", "Put between the parts.", default=" "),
    },
)
def concat(value: str | None, context: Context, *, fields: list[str], separator: str) -> str | None:
    """Join the value and the named fields of the same row with `separator`, skipping blank
    parts: `ADDR1` + `[ADDR2]` -> `"1200 Calle Naranjo Suite 4"`. Blank when every part is."""
    parts = [value] if value is not None and value.strip() else []
    for name in fields:
        part = context.row.get(name)
        if part is not None:
            parts.append(part)
    return separator.join(parts) if parts else None


@transform(
    "default_if_blank",
    doc="Use a default when the value is blank.",
    runs_on_blank=True,
    args={"value": Arg("text", "The value to use when the source is blank.")},
)
def default_if_blank(value: str | None, context: Context, *, value_: str) -> str:
    """Return `value` when the current value is missing or blank, else keep the current value."""
    if value is None or not value.strip():
        return value_
    return value

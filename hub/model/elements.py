"""Minimum Data Element metadata: `mde()` attaches it to model fields, `elements_of` reads it.

Rules and the published data standard both walk the models through `elements_of`, so a new
element in `records.py` is checked and documented without touching either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, Field


@dataclass(frozen=True, slots=True)
class Element:
    """One model field that is a Minimum Data Element."""

    field: str
    name: str
    meaning: str
    kind: str
    length: int | None
    codeset: str | None
    identifies: str | None
    required: bool


@cache
def elements_of(model: type[BaseModel]) -> tuple[Element, ...]:
    """The MDE fields of `model`, in declaration order; fields without MDE metadata are skipped."""
    found: list[Element] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if not isinstance(extra, dict) or "mde" not in extra:
            continue
        length = extra.get("length")
        codeset = extra.get("codeset")
        identifies = extra.get("identifies")
        found.append(
            Element(
                field=name,
                name=str(extra["mde"]),
                meaning=info.description or "",
                kind=str(extra["kind"]),
                length=length if isinstance(length, int) else None,
                codeset=codeset if isinstance(codeset, str) else None,
                identifies=identifies if isinstance(identifies, str) else None,
                required=info.is_required(),
            )
        )
    return tuple(found)


def mde(
    meaning: str,
    *,
    element: str,
    kind: str,
    length: int | None = None,
    codeset: str | None = None,
    identifies: str | None = None,
    default: Any = None,
) -> Any:
    """A model field that is a Minimum Data Element.

    `kind` is the MDE type: A (text), N (numeric), D8 (YYYYMMDD date), YN (Yes/No flag),
    YM (MMYYYY month). `length` is the maximum length states may send (checked as an issue, not
    a crash: DOMAIN.md §2 says lengths vary by version). `identifies` is "key", "strong" or "weak"
    for the elements matching uses.
    """
    extra: dict[str, Any] = {"mde": element, "kind": kind}
    if length is not None:
        extra["length"] = length
    if codeset is not None:
        extra["codeset"] = codeset
    if identifies is not None:
        extra["identifies"] = identifies
    return Field(default, description=meaning, json_schema_extra=extra)

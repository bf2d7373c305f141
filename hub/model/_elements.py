"""Field metadata for Minimum Data Elements: the data standard is generated from these."""

from __future__ import annotations

from typing import Any

from pydantic import Field


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

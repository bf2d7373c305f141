"""The file formats an ingest accepts, by name: adding a format is adding one entry.

- `canonical-jsonl`: canonical records, one JSON object per line (`hub.services.canonical_source`).
- `native`: the state's own format, read through `mappings/<state>/mapping.yaml` by the mapping
  engine (`hub.mapping`); available for the states that have a mapping.

Without an explicit format a state with a mapping is read natively, any other as canonical.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hub.errors import IssueCode, ValidationError, error
from hub.services.ingest._types import MappedInput, Timings

CANONICAL = "canonical-jsonl"
NATIVE = "native"

Reader = Callable[[str, Path, date | None, Timings], Iterable[MappedInput]]


@dataclass(frozen=True)
class IngestFormat:
    name: str
    summary: str
    read: Reader  # (state, path, today, timings) -> mapped records, lazily


def _canonical(
    state: str, path: Path, today: date | None, timings: Timings
) -> Iterable[MappedInput]:
    from hub.services.canonical_source import read_canonical_jsonl

    return read_canonical_jsonl(path, today=today, timings=timings)


def _native(state: str, path: Path, today: date | None, timings: Timings) -> Iterable[MappedInput]:
    from hub.mapping import map_file

    mapping = _mappings().get(state)
    if mapping is None:
        raise ValidationError(
            [
                error(
                    IssueCode.NOT_SUPPORTED,
                    f"no mapping for {state}: send {CANONICAL} or add mappings/{state.lower()}/",
                    "format",
                )
            ]
        )
    return map_file(mapping, path, today=today)


@functools.cache
def _mappings() -> dict[str, Any]:
    from hub.mapping import load_mappings

    return dict(load_mappings())


FORMATS: dict[str, IngestFormat] = {
    CANONICAL: IngestFormat(CANONICAL, "canonical StudentRecord JSON, one per line", _canonical),
    NATIVE: IngestFormat(NATIVE, "the state's own format, through its mapping file", _native),
}


def default_format(state: str) -> str:
    return NATIVE if state in _mappings() else CANONICAL


def open_records(
    format_name: str | None,
    state: str,
    path: Path,
    *,
    today: date | None = None,
    timings: Timings | None = None,
) -> tuple[str, Iterable[MappedInput]]:
    """The format used and the mapped records of `path` (read lazily, during the ingest).

    An unknown format, or `native` for a state without a mapping, is a `ValidationError` here,
    before anything is read.
    """
    name = format_name or default_format(state)
    chosen = FORMATS.get(name)
    if chosen is None:
        known = ", ".join(FORMATS)
        raise ValidationError(
            [error(IssueCode.NOT_SUPPORTED, f"unknown format {name!r}; known: {known}", "format")]
        )
    return name, chosen.read(state, path, today, timings if timings is not None else Timings())

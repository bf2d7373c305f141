"""Search criteria (field, op, values) as MongoDB filters, for `FhirRepository.search`.

`hub.fhir` parses a FHIR search into criteria on the stored projection; only this module knows
how they are spelt as a query. Each criterion becomes one clause of an `$and`, so both engines
plan with the indexed equality and `$in` clauses (the embedded engine intersects its hash
indexes over `$and`; MongoDB picks a compound index) and check ranges and prefixes on the
candidates. Prefixes become anchored regular expressions over escaped input, never a scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from hub.store.engine import Document


class Criterion(Protocol):
    """One search criterion (`hub.fhir.Criterion` is one)."""

    @property
    def field(self) -> str: ...

    @property
    def op(self) -> str: ...

    @property
    def values(self) -> tuple[Any, ...]: ...


def filter_of(criteria: Iterable[Criterion]) -> Document:
    """The MongoDB filter matching every criterion (an empty filter for none)."""
    clauses = [_clause(criterion) for criterion in criteria]
    return {"$and": clauses} if clauses else {}


def _clause(criterion: Criterion) -> Document:
    name, op, values = criterion.field, criterion.op, list(criterion.values)
    if op == "in":
        return {name: values[0] if len(values) == 1 else {"$in": values}}
    if op == "nin":
        return {name: {"$nin": values}}
    if op == "gte":
        return {name: {"$gte": values[0]}}
    if op == "lt":
        return {name: {"$lt": values[0]}}
    if op == "prefix":
        pattern = "^(?:" + "|".join(re.escape(str(value)) for value in values) + ")"
        return {name: {"$regex": pattern}}
    if op == "missing":
        # Absent fields are stored as None (scalars) or [] (token lists).
        return {name: {"$in" if values[0] else "$nin": [None, []]}}
    raise ValueError(f"unknown criterion operator {op!r}")

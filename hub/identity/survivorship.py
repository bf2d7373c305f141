"""Consolidation: a child's identity summary and lists, derived from its linked state records.

Pure: dicts in, dicts and dataclasses out. Survivorship is rule-based (DOMAIN.md §6): for each
identity field the most recently received non-empty value wins, ties go to the more trusted
state (lower `trust` rank), then to the state code, so the result never depends on input order.
Placeholders (BABY BOY, 1900-01-01) never survive while a real value exists. Every surviving
value names its source: state, state student id and when it was received. State data is never
overwritten: the lists keep every state's items, each tagged with its source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from hub.identity.normalize import is_placeholder_date, is_placeholder_name

IDENTITY_FIELDS: Final = (
    "first_name", "middle_name", "last_name_1", "last_name_2", "suffix", "sex", "birth_date",
    "multiple_birth", "birth_city", "birth_state", "birth_country", "birth_date_verification",
    "parents",
)  # fmt: skip
_NAME_FIELDS: Final = frozenset({"first_name", "last_name_1"})
# Item date used to order each consolidated list, newest last.
_LIST_DATES: Final = {
    "moves": "qualifying_arrival_date",
    "enrollments": "enrollment_date",
    "assessments": "administration_date",
    "courses": "begin_year",
    "immunizations": "occurrence_date",
    "conditions": "onset_date",
}


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One linked state record as consolidation needs it."""

    state: str
    state_student_id: str
    received_at: datetime
    record: Mapping[str, Any]  # canonical StudentRecord JSON (identity, moves, enrollments...)
    trust: int = 100  # lower is more trusted (a state's rank in the hub's trust table)
    active: bool = True

    @property
    def identity(self) -> Mapping[str, Any]:
        found = self.record.get("identity", self.record)
        return found if isinstance(found, Mapping) else {}

    @property
    def source(self) -> dict[str, str]:
        return {"state": self.state, "state_student_id": self.state_student_id}


@dataclass(frozen=True, slots=True)
class Provenance:
    state: str
    state_student_id: str
    received_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "state": self.state,
            "state_student_id": self.state_student_id,
            "received_at": self.received_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class IdentitySummary:
    """The child's identity as shown, and which record each value came from."""

    values: Mapping[str, Any]
    provenance: Mapping[str, Provenance]
    alternatives: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": dict(self.values),
            "provenance": {name: p.to_json() for name, p in self.provenance.items()},
            "alternatives": {name: list(v) for name, v in self.alternatives.items()},
        }


def _empty(name: str, value: object) -> bool:
    if value is None or value == "" or value == []:
        return True
    if name in _NAME_FIELDS and isinstance(value, str) and is_placeholder_name(value):
        return True
    if name == "birth_date":
        born = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return isinstance(born, date) and is_placeholder_date(born)
    return False


def _order(record: SourceRecord) -> tuple[float, int, str, str]:
    # Newest first, then most trusted, then a stable tie-break on the record key.
    return (-record.received_at.timestamp(), record.trust, record.state, record.state_student_id)


def summarise_identity(records: Sequence[SourceRecord]) -> IdentitySummary:
    """Survivorship over the active linked records: one value per field, with provenance."""
    ranked = sorted((r for r in records if r.active), key=_order)
    values: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    alternatives: dict[str, tuple[Any, ...]] = {}
    for name in IDENTITY_FIELDS:
        seen: list[Any] = []
        for record in ranked:
            value = record.identity.get(name)
            if _empty(name, value):
                continue
            if name not in values:
                values[name] = value
                provenance[name] = Provenance(
                    record.state, record.state_student_id, record.received_at
                )
            if value not in seen:
                seen.append(value)
        if name not in values:
            # Only placeholders were sent: show the newest rather than nothing.
            fallback = next((r for r in ranked if r.identity.get(name) not in (None, "")), None)
            if fallback is not None:
                values[name] = fallback.identity[name]
                provenance[name] = Provenance(
                    fallback.state, fallback.state_student_id, fallback.received_at
                )
        if len(seen) > 1:
            alternatives[name] = tuple(seen[1:])
    return IdentitySummary(values, provenance, alternatives)


def _sort_key(item: Mapping[str, Any], date_field: str) -> tuple[str, str, str]:
    value = item.get(date_field)
    return (
        "" if value is None else str(value),
        item["source"]["state"],
        str(item.get("record_id")),
    )


def _credits(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def consolidate(records: Sequence[SourceRecord]) -> dict[str, Any]:
    """The consolidated record: identity summary and every linked state's lists, tagged by source.

    Lists are ordered by their date (oldest first); `credit_totals` sums credits granted by
    subject area across states (as strings, to keep decimals exact in JSON).
    """
    active = [record for record in records if record.active]
    result: dict[str, Any] = {
        "identity": summarise_identity(active).to_json(),
        "sources": [
            {**record.source, "received_at": record.received_at.isoformat()}
            for record in sorted(active, key=lambda r: (r.state, r.state_student_id))
        ],
    }
    sources = [(record, record.source) for record in active]
    for name, date_field in _LIST_DATES.items():
        items = [
            {**item, "source": source}
            for record, source in sources
            for item in record.record.get(name, ())
            if isinstance(item, Mapping)
        ]
        result[name] = sorted(items, key=lambda item: _sort_key(item, date_field))
    totals: dict[str, Decimal] = {}
    for course in result["courses"]:
        area = course.get("subject_area") or "Unspecified"
        totals[area] = totals.get(area, Decimal(0)) + _credits(course.get("credits_granted"))
    result["credit_totals"] = {area: str(total) for area, total in sorted(totals.items())}
    return result

"""The consolidated record as school staff read it: one child, every linked state's data.

Built from `consolidation.load_child` (the current version of each linked state record) and the
identity package's survivorship (`consolidate`): an identity summary naming the state record
behind every value, and every state's moves, enrollments, courses and assessments side by side,
tagged with their source. Nothing is overwritten: where states disagree, the other values are
listed next to the surviving one.

Health: the flags on enrollments (immunization record on file, medical alert) are education data
and always shown; immunizations and conditions only when the reader may see health data.

The historical view (`record_history`) shows each state's own record with its versions, which is
where a split is picked. All functions run on the store thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.identity import SourceRecord, consolidate
from hub.services.consolidation import load_child
from hub.services.search import source_record
from hub.store import Store, StoredRecord, link_key

HEALTH_LISTS = ("immunizations", "conditions")


@dataclass(frozen=True)
class Period:
    """One enrollment on the timeline."""

    state: str
    school: str
    grade: str | None
    start: date
    end: date | None  # None: still enrolled (no withdrawal date sent)
    kind: str | None  # enrollment type code


@dataclass(frozen=True)
class HealthFlag:
    state: str
    school: str
    enrolled: str
    immunization_record: bool | None
    medical_alert: str | None


@dataclass(frozen=True)
class ChildView:
    msix_id: str
    requested_id: str
    identity: Mapping[str, Any]  # surviving values
    provenance: Mapping[str, Mapping[str, str]]  # field -> state, state_student_id, received_at
    alternatives: Mapping[str, list[Any]]
    sources: list[dict[str, str]]
    moves: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]
    courses: list[dict[str, Any]]
    assessments: list[dict[str, Any]]
    immunizations: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    credit_totals: Mapping[str, str]
    clock_hour_totals: Mapping[str, str]
    partial_credit_courses: int
    timeline: list[Period]
    health_flags: list[HealthFlag]
    include_health: bool
    locked_by: str | None

    @property
    def replaced(self) -> bool:
        return self.requested_id != self.msix_id

    @property
    def states(self) -> list[str]:
        return sorted({source["state"] for source in self.sources})

    @property
    def eligibility(self) -> dict[str, Any]:
        """The latest qualifying arrival and eligibility expiration across states."""
        arrivals = [m["qualifying_arrival_date"] for m in self.moves]
        expirations = [
            m["eligibility_expiration_date"]
            for m in self.moves
            if m.get("eligibility_expiration_date")
        ]
        return {
            "latest_arrival": max(arrivals) if arrivals else None,
            "expires": max(expirations) if expirations else None,
        }


@dataclass(frozen=True)
class Version:
    version: int
    received_at: datetime
    batch_id: str | None
    deleted: bool
    source: str | None  # file or message name


@dataclass(frozen=True)
class StateHistory:
    """One state's own record of the child, as that state last sent it, with its versions."""

    state: str
    state_student_id: str
    key: str  # STATE:state student id
    current: Mapping[str, Any]
    versions: list[Version]


def child_view(store: Store, msix_id: str, *, include_health: bool) -> ChildView:
    """The consolidated record; `NotFoundError` for an unknown MSIX ID. Store thread."""
    child = load_child(store, msix_id, include_health=include_health)
    sources = []
    for linked in child.records:
        source = source_record(linked.stored)
        if not include_health:
            record = {k: v for k, v in source.record.items() if k not in HEALTH_LISTS}
            source = SourceRecord(source.state, source.state_student_id, source.received_at, record)
        sources.append(source)
    merged = consolidate(sources)
    summary = merged["identity"]
    courses: list[dict[str, Any]] = merged["courses"]
    return ChildView(
        msix_id=child.msix_id,
        requested_id=child.requested_id,
        identity=summary["identity"],
        provenance=summary["provenance"],
        alternatives=summary["alternatives"],
        sources=merged["sources"],
        moves=merged["moves"],
        enrollments=merged["enrollments"],
        courses=courses,
        assessments=merged["assessments"],
        immunizations=merged["immunizations"] if include_health else [],
        conditions=merged["conditions"] if include_health else [],
        credit_totals=merged["credit_totals"],
        clock_hour_totals=_clock_hours(courses),
        partial_credit_courses=sum(1 for course in courses if _partial(course)),
        timeline=_timeline(merged["enrollments"]),
        health_flags=_health_flags(merged["enrollments"]),
        include_health=include_health,
        locked_by=child.locked_by,
    )


def record_history(store: Store, msix_id: str) -> tuple[str, list[StateHistory]]:
    """(surviving MSIX ID, each linked state record with its versions). Store thread."""
    child = load_child(store, msix_id, include_health=False)
    histories = []
    for linked in child.records:
        versions = store.state_records.history(linked.state, linked.state_student_id)
        record = {k: v for k, v in linked.stored.record.items() if k not in HEALTH_LISTS}
        histories.append(
            StateHistory(
                linked.state,
                linked.state_student_id,
                link_key(linked.state, linked.state_student_id),
                record,
                [_version(stored) for stored in reversed(versions)],
            )
        )
    return child.msix_id, histories


def _version(stored: StoredRecord) -> Version:
    received = stored.received_at
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    source = stored.record.get("source") or {}
    return Version(stored.version, received, stored.batch_id, stored.deleted, source.get("name"))


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _partial(course: Mapping[str, Any]) -> bool:
    """Credit granted below one full unit, or a grade to date without a final grade: the
    partial secondary credit a receiving school must honour."""
    credits = _decimal(course.get("credits_granted"))
    in_progress = bool(course.get("grade_to_date")) and not course.get("final_grade")
    return in_progress or (credits is not None and Decimal(0) < credits < Decimal(1))


def _clock_hours(courses: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    totals: dict[str, Decimal] = {}
    for course in courses:
        hours = _decimal(course.get("clock_hours"))
        if hours is None:
            continue
        area = course.get("subject_area") or "Unspecified"
        totals[area] = totals.get(area, Decimal(0)) + hours
    return {area: str(total) for area, total in sorted(totals.items())}


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _timeline(enrollments: Sequence[Mapping[str, Any]]) -> list[Period]:
    periods = []
    for item in enrollments:
        start = _as_date(item.get("enrollment_date"))
        if start is None:
            continue
        periods.append(
            Period(
                state=item["source"]["state"],
                school=str(item.get("school_or_project_name") or item.get("school_id") or "?"),
                grade=item.get("grade_level"),
                start=start,
                end=_as_date(item.get("withdrawal_date")),
                kind=item.get("enrollment_type"),
            )
        )
    return sorted(periods, key=lambda period: (period.start, period.state))


def _health_flags(enrollments: Sequence[Mapping[str, Any]]) -> list[HealthFlag]:
    flags = []
    for item in enrollments:
        alert = item.get("medical_alert")
        record_flag = item.get("immunization_record_flag")
        if record_flag is None and not alert:
            continue
        flags.append(
            HealthFlag(
                state=item["source"]["state"],
                school=str(item.get("school_or_project_name") or ""),
                enrolled=str(item.get("enrollment_date") or ""),
                immunization_record=record_flag,
                medical_alert=alert,
            )
        )
    return flags

"""Pass 1: map, validate and spool every record of a file, touching no store.

The reader's records are validated (the reader's own issues, the hub's key checks, the
education-record XSD, FHIR structure of the health entries) and written one JSON line each to a
spool file. A `FileRejected` raised by the reader at any point therefore leaves the store
untouched, and memory stays flat: pass 2 reads the spool back one chunk at a time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from hub.errors import Issue, IssueCode, error, has_errors
from hub.fhir import condition_resource, immunization_resource, validate_entry_structure
from hub.messages import record_schema_issues
from hub.model import Action, StudentRecord
from hub.services.ingest import _collector as collector
from hub.services.ingest._types import IngestSource, MappedInput, Progress, Timings

# Health resources are built before the child's MSIX ID is known (a rejected record must not get
# one); `hub.fhir.with_patient` fills it in once the identity step has run.
PENDING_MSIX_ID = "000000000000"
PROGRESS_EVERY = 100


def spool_records(
    mapped: Iterable[MappedInput],
    source: IngestSource,
    spool: Path,
    *,
    received_at: datetime,
    timings: Timings,
    progress: Progress | None = None,
) -> int:
    """Validate every record of `mapped` into `spool` (JSON lines); returns how many.

    Whatever the reader raises (a `FileRejected`) propagates: the caller stores nothing.
    """
    count = 0
    iterator = iter(mapped)
    clock = time.perf_counter
    with spool.open("wb") as out:
        while True:
            started, validation_before = clock(), timings.validation
            try:
                item = next(iterator)
            except StopIteration:
                break
            # A reader may time its own model-rule checks into `validation`.
            timings.mapping += clock() - started - (timings.validation - validation_before)
            entry = _prepared(item, source, received_at, timings)
            with timings.timing("spool"):
                out.write(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
            if count % PROGRESS_EVERY == 0:
                collector.collect_young()  # automatic collection is off during an ingest
                if progress is not None:
                    progress("mapping", count)
    if progress is not None:
        progress("mapping", count)
    return count


def _prepared(
    item: MappedInput, source: IngestSource, received_at: datetime, timings: Timings
) -> dict[str, Any]:
    record = item.record
    prefix = f"record[{item.record_number}]"
    sid = item.state_student_id or (record.student_id.value if record is not None else None)
    action = item.action or (record.action if record is not None else Action.INSERT)
    issues = list(item.issues)
    with timings.timing("validation"):
        issues.extend(_key_issues(record, sid, source.state, prefix, issues))
    if record is not None and action is not Action.DELETE and not has_errors(issues):
        with timings.timing("validation"):  # what a receiving state's validator would refuse
            issues.extend(record_schema_issues(record, prefix))
    resources: list[dict[str, Any]] = []
    if record is not None and sid and action is not Action.DELETE:
        with timings.timing("validation"):  # FHIR structure of the health entries
            resources, fhir_issues = _health_resources(record, source.state, sid, prefix)
        issues.extend(fhir_issues)
    entry: dict[str, Any] = {
        "n": item.record_number,
        "line": item.line,
        "sid": sid,
        "action": action.value,
        "ok": record is not None and bool(sid) and not has_errors(issues),
        "issues": [
            [issue.severity.value, issue.code.value, issue.message, issue.location, issue.rule]
            for issue in issues
        ],
        "values": item.values,
    }
    if entry["ok"]:
        assert record is not None
        with timings.timing("spool"):
            data = record.model_dump(mode="json", exclude_none=True)
            data["source"] = {
                "kind": "file",
                "name": source.file_name,
                "record_number": item.record_number,
                **({"line": item.line} if item.line is not None else {}),
                "received_at": received_at.isoformat(),
            }
            # The record's identity (`data["identity"]`), parents and alternate ids included,
            # is what the identity step matches on (pass 2 reads it from there).
            entry["record"] = data
            entry["events"] = event_dates(record)
            entry["resources"] = resources
    return entry


def _key_issues(
    record: StudentRecord | None, sid: str | None, state: str, prefix: str, found: list[Issue]
) -> list[Issue]:
    issues: list[Issue] = []
    if not sid and not has_errors(found):
        issues.append(
            error(
                IssueCode.REQUIRED,
                "the record has no State Student Identifier, so it cannot be stored",
                f"{prefix}.student_id.value",
                "ingest.key",
            )
        )
    if record is not None and record.student_id.state != state:
        issues.append(
            error(
                IssueCode.FORBIDDEN,
                f"the record is reported by {record.student_id.state!r} but the file is from "
                f"{state}: a state sends only its own records",
                f"{prefix}.student_id.state",
                "ingest.own-state",
            )
        )
    return issues


def _health_resources(
    record: StudentRecord, state: str, sid: str, prefix: str
) -> tuple[list[dict[str, Any]], list[Issue]]:
    resources: list[dict[str, Any]] = []
    issues: list[Issue] = []
    for index, immunization in enumerate(record.immunizations):
        resource = immunization_resource(PENDING_MSIX_ID, state, sid, immunization)
        issues.extend(
            _located(validate_entry_structure(resource), f"{prefix}.immunizations[{index}]")
        )
        resources.append(resource)
    for index, condition in enumerate(record.conditions):
        resource = condition_resource(PENDING_MSIX_ID, state, sid, condition)
        issues.extend(_located(validate_entry_structure(resource), f"{prefix}.conditions[{index}]"))
        resources.append(resource)
    return resources, issues


def _located(issues: list[Issue], where: str) -> list[Issue]:
    return [
        Issue(
            issue.severity,
            issue.code,
            f"{issue.message} (FHIR {issue.location})",
            where,
            issue.rule,
        )
        for issue in issues
    ]


def event_dates(record: StudentRecord) -> dict[str, str]:
    """The latest dates the state gives for the events the timeliness rules start from
    (DOMAIN.md §5): eligibility (qualifying arrival), enrollment and withdrawal (term end)."""
    found: dict[str, date] = {}
    for name, values in (
        ("qualifying_arrival", [move.qualifying_arrival_date for move in record.moves]),
        ("enrollment", [item.enrollment_date for item in record.enrollments]),
        ("withdrawal", [item.withdrawal_date for item in record.enrollments]),
    ):
        known = [value for value in values if value is not None]
        if known:
            found[name] = max(known)
    if found:
        found["latest"] = max(found.values())
    return {name: value.isoformat() for name, value in found.items()}

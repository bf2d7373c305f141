"""The acknowledgement of one ingested file: counts, every located issue, unmapped codes.

It is plain data with a JSON form (stored in the batch document and served by `GET /ingest`);
`_render` writes it as XML (`xsd/ingest-acknowledgement.xsd`) and as a readable report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hub.errors import Issue, IssueCode, Severity

# A batch document must stay far below MongoDB's 16 MB; the quarantine keeps every rejected
# record whatever this cap says.
MAX_REPORTED_RECORDS = 20_000
MAX_VALUE_LENGTH = 200
_RECORD_PREFIX = re.compile(r"^record\[\d+\]\.?")
# Model rule for a code outside its code set; a code used outside its dates is not "unmapped".
_DATED_CODE_RULE = "mde.code-validity"


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # every record accepted
    PARTIAL = "partial"  # some records rejected (and quarantined), the others accepted
    REJECTED = "rejected"  # the file as a whole was rejected; nothing was stored


class RecordOutcome(StrEnum):
    STORED = "stored"  # a new version (insert, update or restore)
    UNCHANGED = "unchanged"  # same content as the current version: nothing changed
    DELETED = "deleted"  # retracted
    REJECTED = "rejected"  # quarantined with its issues


@dataclass(frozen=True)
class ReportedIssue:
    severity: Severity
    code: IssueCode
    message: str
    field: str | None = None  # where in the record (file-level issues: where in the file)
    rule: str | None = None
    value: str | None = None  # the source value, as sent

    @classmethod
    def of(cls, issue: Issue, values: dict[str, str]) -> ReportedIssue:
        field_name = _field(issue.location)
        value = values.get(issue.location or "")
        if value is None and field_name is not None:
            value = values.get(field_name)
        return cls(issue.severity, issue.code, issue.message, field_name, issue.rule, value)

    @property
    def is_error(self) -> bool:
        return self.severity in (Severity.FATAL, Severity.ERROR)


@dataclass
class RecordReport:
    record_number: int
    line: int | None
    state_student_id: str | None
    outcome: RecordOutcome
    issues: list[ReportedIssue]


@dataclass(frozen=True)
class UnmappedCode:
    field: str
    value: str
    count: int


@dataclass
class Counts:
    total: int = 0
    accepted: int = 0  # stored + unchanged
    rejected: int = 0
    with_warnings: int = 0  # accepted records that carry warnings
    stored: int = 0  # new versions, retractions included
    unchanged: int = 0
    deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass
class Acknowledgement:
    batch_id: str
    state: str
    file_name: str
    sha256: str
    size: int
    format: str
    received_at: datetime
    completed_at: datetime | None = None
    outcome: Outcome = Outcome.ACCEPTED
    counts: Counts = field(default_factory=Counts)
    records: list[RecordReport] = field(default_factory=list)  # records with issues, in order
    records_left_out: int = 0  # records with issues past MAX_REPORTED_RECORDS
    file_issues: list[ReportedIssue] = field(default_factory=list)
    unmapped_codes: list[UnmappedCode] = field(default_factory=list)
    replayed: bool = False  # the same file was ingested before: this is that batch's answer

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "state": self.state,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size": self.size,
            "format": self.format,
            "received_at": instant(self.received_at),
            "completed_at": instant(self.completed_at) if self.completed_at else None,
            "outcome": self.outcome.value,
            "replayed": self.replayed,
            "counts": self.counts.as_dict(),
            "file_issues": [_issue_json(issue) for issue in self.file_issues],
            "records": [
                {
                    "record_number": report.record_number,
                    "line": report.line,
                    "state_student_id": report.state_student_id,
                    "outcome": report.outcome.value,
                    "issues": [_issue_json(issue) for issue in report.issues],
                }
                for report in self.records
            ],
            "records_left_out": self.records_left_out,
            "unmapped_codes": [
                {"field": code.field, "value": code.value, "count": code.count}
                for code in self.unmapped_codes
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Acknowledgement:
        return cls(
            batch_id=data["batch_id"],
            state=data["state"],
            file_name=data["file_name"],
            sha256=data["sha256"],
            size=data["size"],
            format=data["format"],
            received_at=datetime.fromisoformat(data["received_at"]),
            completed_at=(
                datetime.fromisoformat(data["completed_at"]) if data["completed_at"] else None
            ),
            outcome=Outcome(data["outcome"]),
            counts=Counts(**data["counts"]),
            records=[
                RecordReport(
                    record_number=item["record_number"],
                    line=item["line"],
                    state_student_id=item["state_student_id"],
                    outcome=RecordOutcome(item["outcome"]),
                    issues=[_issue_from_json(issue) for issue in item["issues"]],
                )
                for item in data["records"]
            ],
            records_left_out=data["records_left_out"],
            file_issues=[_issue_from_json(issue) for issue in data["file_issues"]],
            unmapped_codes=[UnmappedCode(**code) for code in data["unmapped_codes"]],
            replayed=data["replayed"],
        )


class AckBuilder:
    """Collects record outcomes in file order into an `Acknowledgement`."""

    def __init__(self, ack: Acknowledgement) -> None:
        self.ack = ack
        self._unmapped: Counter[tuple[str, str]] = Counter()

    def add(
        self,
        record_number: int,
        line: int | None,
        state_student_id: str | None,
        outcome: RecordOutcome,
        issues: list[ReportedIssue],
    ) -> None:
        counts = self.ack.counts
        counts.total += 1
        if outcome is RecordOutcome.REJECTED:
            counts.rejected += 1
        else:
            counts.accepted += 1
            counts.with_warnings += bool(issues)
            counts.stored += outcome in (RecordOutcome.STORED, RecordOutcome.DELETED)
            counts.unchanged += outcome is RecordOutcome.UNCHANGED
            counts.deleted += outcome is RecordOutcome.DELETED
        for issue in issues:
            if issue.code is IssueCode.CODE_INVALID and issue.rule != _DATED_CODE_RULE:
                self._unmapped[(_unindexed(issue.field), issue.value or "")] += 1
        if not issues:
            return
        if len(self.ack.records) < MAX_REPORTED_RECORDS:
            self.ack.records.append(
                RecordReport(record_number, line, state_student_id, outcome, issues)
            )
        else:
            self.ack.records_left_out += 1

    def finish(self, completed_at: datetime) -> Acknowledgement:
        ack = self.ack
        ack.completed_at = completed_at
        ack.outcome = Outcome.PARTIAL if ack.counts.rejected else Outcome.ACCEPTED
        ack.unmapped_codes = [
            UnmappedCode(field_name, value, count)
            for (field_name, value), count in sorted(self._unmapped.items())
        ]
        return ack


def rejected_file(ack: Acknowledgement, issues: list[Issue], completed_at: datetime) -> None:
    """Turn `ack` into the answer for a file rejected as a whole (its issues are located in the
    file: a line, the header)."""
    ack.outcome = Outcome.REJECTED
    ack.completed_at = completed_at
    ack.file_issues = [
        ReportedIssue(issue.severity, issue.code, issue.message, issue.location, issue.rule)
        for issue in issues
    ]


def shown_value(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[:MAX_VALUE_LENGTH] + "..."


def _field(location: str | None) -> str | None:
    if location is None:
        return None
    return _RECORD_PREFIX.sub("", location) or None


def _unindexed(field_name: str | None) -> str:
    return re.sub(r"\[\d+\]", "", field_name or "")


def instant(moment: datetime) -> str:
    """UTC with milliseconds and a Z; a naive time (the embedded store's) is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _issue_json(issue: ReportedIssue) -> dict[str, Any]:
    return {
        "severity": issue.severity.value,
        "code": issue.code.value,
        "rule": issue.rule,
        "field": issue.field,
        "value": issue.value,
        "message": issue.message,
    }


def _issue_from_json(data: dict[str, Any]) -> ReportedIssue:
    return ReportedIssue(
        Severity(data["severity"]),
        IssueCode(data["code"]),
        data["message"],
        data["field"],
        data["rule"],
        data["value"],
    )

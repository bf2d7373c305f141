"""The acknowledgement: JSON round trip, XML valid against its published schema, readable text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from hub.errors import IssueCode, Severity, error, warning
from hub.messages.safe_xml import XSD_DIR, load_schema, parse_xml, validate
from hub.services.ingest import (
    Acknowledgement,
    Outcome,
    RecordOutcome,
    ReportedIssue,
    acknowledgement_text,
    acknowledgement_xml,
)
from hub.services.ingest import _ack as ack_module
from hub.services.ingest._ack import AckBuilder, rejected_file

RECEIVED = datetime(2026, 11, 27, 14, 3, 12, 417000, tzinfo=UTC)
SHA = "5f1b6c3a9e0d4b7f8a2c1e6d9b3f0a7c5e8d2b4f6a1c3e5d7b9f0a2c4e6d8b1f"


def _ack() -> Acknowledgement:
    return Acknowledgement(f"TX-{SHA}", "TX", "tx.jsonl", SHA, 120, "canonical-jsonl", RECEIVED)


def _partial() -> Acknowledgement:
    builder = AckBuilder(_ack())
    builder.add(1, 1, "TX1", RecordOutcome.STORED, [])
    bad_grade = error(
        IssueCode.CODE_INVALID,
        "'K5' is not a code",
        "record[2].enrollments[0].grade_level",
        "mde.code",
    )
    builder.add(
        2,
        2,
        "TX2",
        RecordOutcome.REJECTED,
        [ReportedIssue.of(bad_grade, {bad_grade.location or "": "K5"})],
    )
    placeholder = warning(
        IssueCode.VALUE, "placeholder", "record[3].identity.birth_date", "mde.date-placeholder"
    )
    builder.add(3, 3, "TX3", RecordOutcome.UNCHANGED, [ReportedIssue.of(placeholder, {})])
    builder.add(4, 5, "TX4", RecordOutcome.DELETED, [])
    return builder.finish(RECEIVED)


def test_counts_and_outcome_follow_the_records() -> None:
    ack = _partial()
    assert ack.outcome is Outcome.PARTIAL
    counts = ack.counts
    assert (counts.total, counts.accepted, counts.rejected, counts.with_warnings) == (4, 3, 1, 1)
    assert (counts.stored, counts.unchanged, counts.deleted) == (2, 1, 1)
    assert [report.record_number for report in ack.records] == [2, 3]  # only records with issues
    assert ack.records[0].issues[0].field == "enrollments[0].grade_level"
    assert ack.records[0].issues[0].value == "K5"
    assert [(code.field, code.value, code.count) for code in ack.unmapped_codes] == [
        ("enrollments.grade_level", "K5", 1)
    ]


def test_the_json_form_round_trips() -> None:
    ack = _partial()
    assert Acknowledgement.from_json(ack.to_json()) == ack


@pytest.mark.parametrize("kind", ["accepted", "partial", "rejected"])
def test_the_xml_is_valid_for_both_validators(kind: str) -> None:
    ack = _partial() if kind == "partial" else AckBuilder(_ack()).finish(RECEIVED)
    if kind == "rejected":
        rejected_file(
            ack, [error(IssueCode.INVALID, "not UTF-8", "line 9", "ingest.encoding")], RECEIVED
        )
    document = parse_xml(acknowledgement_xml(ack), max_bytes=1 << 20)
    assert validate(load_schema("ingest-acknowledgement.xsd"), document) == []
    libxml2 = etree.XMLSchema(etree.parse(str(XSD_DIR / "ingest-acknowledgement.xsd")))
    assert libxml2.validate(document), str(libxml2.error_log)


def test_a_value_xml_cannot_hold_is_replaced_not_fatal() -> None:
    ack = _ack()
    builder = AckBuilder(ack)
    issue = ReportedIssue(
        Severity.ERROR, IssueCode.VALUE, "bad", "identity.first_name", "mde.type", "A\x00B"
    )
    builder.add(1, 1, "TX1", RecordOutcome.REJECTED, [issue])
    xml = acknowledgement_xml(builder.finish(RECEIVED))
    assert "A\ufffdB".encode() in xml


def test_the_text_report_names_record_student_field_value_and_rule() -> None:
    text = acknowledgement_text(_partial())
    assert "4 records: 3 accepted (2 stored, 1 unchanged, 1 deleted), 1 rejected" in text
    assert (
        "record 2 (line 2) student TX2 [rejected]: error: enrollments[0].grade_level = 'K5': "
        "'K5' is not a code [mde.code]"
    ) in text
    assert "enrollments.grade_level: 'K5' x1" in text


def test_records_past_the_cap_are_counted_not_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ack_module, "MAX_REPORTED_RECORDS", 2)
    builder = AckBuilder(_ack())
    issue = ReportedIssue(Severity.WARNING, IssueCode.VALUE, "odd", "identity.sex", "x")
    for number in range(1, 6):
        builder.add(number, number, f"TX{number}", RecordOutcome.STORED, [issue])
    ack = builder.finish(RECEIVED)
    assert len(ack.records) == 2
    assert ack.records_left_out == 3
    assert ack.counts.with_warnings == 5

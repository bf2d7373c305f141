"""The acknowledgement as XML (`xsd/ingest-acknowledgement.xsd`) and as a readable report."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from hub.services.ingest._ack import Acknowledgement, RecordReport, ReportedIssue, instant

NAMESPACE = "urn:msix:ingest-ack:1"
SCHEMA_FILE = "ingest-acknowledgement.xsd"
SCHEMA_VERSION = "1.0"
_NSMAP: dict[Any, str] = {None: NAMESPACE}
# Characters XML 1.0 cannot hold; a state's bad byte must not break its own acknowledgement.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ISSUES_SHOWN = 200


def acknowledgement_xml(ack: Acknowledgement) -> bytes:
    """The acknowledgement as an `IngestAcknowledgement` document (UTF-8, with declaration)."""
    root = etree.Element(_q("IngestAcknowledgement"), nsmap=_NSMAP)
    root.set("version", SCHEMA_VERSION)
    for name, value in (
        ("BatchId", ack.batch_id),
        ("State", ack.state),
        ("FileName", ack.file_name),
        ("Sha256", ack.sha256),
        ("Size", str(ack.size)),
        ("Format", ack.format),
        ("ReceivedAt", instant(ack.received_at)),
    ):
        _text(root, name, value)
    if ack.completed_at is not None:
        _text(root, "CompletedAt", instant(ack.completed_at))
    _text(root, "Outcome", ack.outcome.value)
    _text(root, "Replayed", "true" if ack.replayed else "false")
    counts = etree.SubElement(root, _q("Counts"))
    for count_name, count in ack.counts.as_dict().items():
        _text(counts, _camel(count_name), str(count))
    if ack.file_issues:
        file_issues = etree.SubElement(root, _q("FileIssues"))
        for issue in ack.file_issues:
            _issue(file_issues, issue)
    if ack.records:
        records = etree.SubElement(root, _q("Records"))
        for report in ack.records:
            record = etree.SubElement(records, _q("Record"))
            _text(record, "RecordNumber", str(report.record_number))
            if report.line is not None:
                _text(record, "Line", str(report.line))
            if report.state_student_id:
                _text(record, "StateStudentId", report.state_student_id)
            _text(record, "Outcome", report.outcome.value)
            for issue in report.issues:
                _issue(record, issue)
    if ack.records_left_out:
        _text(root, "RecordsLeftOut", str(ack.records_left_out))
    if ack.unmapped_codes:
        unmapped = etree.SubElement(root, _q("UnmappedCodes"))
        for code in ack.unmapped_codes:
            item = etree.SubElement(unmapped, _q("UnmappedCode"))
            _text(item, "Field", code.field or "(record)")
            _text(item, "Value", code.value)
            _text(item, "Count", str(code.count))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def acknowledgement_text(ack: Acknowledgement) -> str:
    """A short report for people: outcome, counts, then each issue on one line."""
    counts = ack.counts
    lines = [
        f"{ack.state} file {ack.file_name} ({ack.size} bytes, {ack.format}), batch {ack.batch_id}",
        f"received {instant(ack.received_at)}: {ack.outcome.value}"
        + (" (the same file was ingested before; nothing changed)" if ack.replayed else ""),
    ]
    if ack.file_issues:
        lines.append("the file was rejected as a whole; nothing was stored:")
        lines.extend(f"  {_issue_line(issue)}" for issue in ack.file_issues)
        return "\n".join(lines) + "\n"
    lines.append(
        f"{counts.total} records: {counts.accepted} accepted ({counts.stored} stored, "
        f"{counts.unchanged} unchanged, {counts.deleted} deleted), {counts.rejected} rejected, "
        f"{counts.with_warnings} accepted with warnings"
    )
    issue_lines = [
        f"  {_who(report)} [{report.outcome.value}]: {_issue_line(issue)}"
        for report in ack.records
        for issue in report.issues
    ]
    lines.extend(issue_lines[:_TEXT_ISSUES_SHOWN])
    if len(issue_lines) > _TEXT_ISSUES_SHOWN:
        more = len(issue_lines) - _TEXT_ISSUES_SHOWN
        lines.append(f"  ... {more} more issues: the XML and JSON acknowledgements list every one")
    if ack.records_left_out:
        lines.append(f"  {ack.records_left_out} more records with issues are left out")
    if ack.unmapped_codes:
        lines.append("unmapped codes:")
        lines.extend(f"  {code.field}: {code.value!r} x{code.count}" for code in ack.unmapped_codes)
    return "\n".join(lines) + "\n"


def _who(report: RecordReport) -> str:
    who = f"record {report.record_number}"
    if report.line is not None:
        who += f" (line {report.line})"
    if report.state_student_id:
        who += f" student {report.state_student_id}"
    return who


def _issue_line(issue: ReportedIssue) -> str:
    where = issue.field or "(record)"
    value = f" = {issue.value!r}" if issue.value is not None else ""
    rule = f" [{issue.rule}]" if issue.rule else ""
    return f"{issue.severity.value}: {where}{value}: {issue.message}{rule}"


def _issue(parent: etree._Element, issue: ReportedIssue) -> None:
    element = etree.SubElement(parent, _q("Issue"))
    _text(element, "Severity", issue.severity.value)
    _text(element, "Code", issue.code.value)
    if issue.rule:
        _text(element, "Rule", issue.rule)
    if issue.field:
        _text(element, "Field", issue.field)
    if issue.value is not None:
        _text(element, "Value", issue.value)
    _text(element, "Message", issue.message or "(no message)")


def _text(parent: etree._Element, name: str, value: str) -> None:
    etree.SubElement(parent, _q(name)).text = _NOT_XML.sub("\ufffd", value)


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))

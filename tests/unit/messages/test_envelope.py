"""The message envelope and bodies: every example read as its folder says, located errors,
the payload digest, body/type agreement, version support and lossless builders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hub.errors import IssueCode, TooLargeError, error
from hub.messages.bodies import (
    AckLevel,
    Acknowledgement,
    AckResult,
    Body,
    Candidate,
    CandidateList,
    Demographics,
    ErrorBody,
    ErrorType,
    MoveNotification,
    Ping,
    RecordRequest,
    Section,
    StudentRef,
    message_type_of,
)
from hub.messages.body_xml import body_element, read_body, record_xpath
from hub.messages.envelope import (
    HUB,
    Header,
    InvalidMessageError,
    MailboxEntry,
    Party,
    build_message,
    mailbox_document,
    new_message_id,
    parse_message,
    read_mailbox,
)
from hub.messages.safe_xml import XSD_DIR

EXAMPLES = XSD_DIR / "examples" / "messages"
MAX = 1024 * 1024
TX = Party("TX", "urn:msix:nces-lea", "4801234")


def message(body: Body, **extra: object) -> bytes:
    header = Header(
        message_id=new_message_id(),
        message_type=message_type_of(body),
        sender=TX,
        receiver=HUB,
        created=datetime(2026, 11, 30, 12, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )
    return build_message(header, body_element(body))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("valid/*.xml")), ids=lambda p: p.name)
def test_valid_example_is_accepted_and_read(path: Path) -> None:
    parsed = parse_message(path.read_bytes(), max_bytes=MAX)
    body = read_body(parsed)
    assert message_type_of(body) is parsed.header.message_type


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("invalid/*.xml")), ids=lambda p: p.name)
def test_invalid_example_is_rejected_with_located_issues(path: Path) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(path.read_bytes(), max_bytes=MAX)
    assert caught.value.issues
    assert all(
        issue.location and issue.location.startswith("/Message") for issue in caught.value.issues
    )
    # The examples carry correct digests: the schema, not the digest, is what is wrong.
    assert all(issue.rule != "message-digest" for issue in caught.value.issues)


BODIES: list[Body] = [
    Ping("hello"),
    RecordRequest(msix_id="104729384756", sections=(Section.COURSES, Section.HEALTH)),
    RecordRequest(demographics=Demographics("Ana", "Ruiz", date(2014, 2, 3), "Soto", "F", "TX")),
    CandidateList(
        (
            Candidate("104729384756", ("TX",), "Ana", "Ruiz", None, date(2014, 2, 3)),
            Candidate("230948576125", ("CA", "TX"), "Ana", "Ruiz"),
        )
    ),
    MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA", comments="harvest"),
    Acknowledgement(
        AckLevel.PROCESSED,
        AckResult.REJECTED,
        new_message_id(),
        issues=(error(IssueCode.VALUE, "bad", "/Message/Body/X", "rule-x"),),
    ),
    ErrorBody(ErrorType.SECURITY, (error(IssueCode.SECURITY, "no DOCTYPE", "line 3"),)),
]


@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_built_message_validates_and_reads_back_equal(body: Body) -> None:
    assert read_body(parse_message(message(body), max_bytes=MAX)) == body


def test_payload_digest_mismatch_is_located_at_the_header() -> None:
    data = message(Ping("hello")).replace(b"hello", b"jello")
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(data, max_bytes=MAX)
    (issue,) = caught.value.issues
    assert (issue.location, issue.rule) == ("/Message/Header/PayloadDigest", "message-digest")
    assert caught.value.header is not None  # a reply can still be addressed


def test_digest_ignores_whitespace_and_prefixes_outside_the_body() -> None:
    data = message(Ping("hello"))
    reshaped = data.replace(b"<Header>", b"<Header>\n   ").replace(
        b'<Message xmlns="urn:msix:message:1">',
        b'<Message xmlns="urn:msix:message:1" xmlns:unused="urn:x">',
    )
    assert (
        parse_message(reshaped, max_bytes=MAX).digest == parse_message(data, max_bytes=MAX).digest
    )


def test_body_must_match_the_message_type() -> None:
    data = message(Ping()).replace(b"<MessageType>Ping<", b"<MessageType>RecordRequest<")
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(data, max_bytes=MAX)
    assert caught.value.issues[0].rule == "message-type"


def test_unsupported_message_version_is_named() -> None:
    data = message(Ping()).replace(b"<MessageVersion>1.0<", b"<MessageVersion>2.0<")
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(data, max_bytes=MAX)
    (issue,) = caught.value.issues
    assert issue.code is IssueCode.NOT_SUPPORTED
    assert issue.location == "/Message/Header/MessageVersion"


def test_size_is_capped_before_parsing() -> None:
    with pytest.raises(TooLargeError):
        parse_message(b"<" * 2048, max_bytes=1024)


def test_doctype_is_refused_as_a_security_issue() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(b'<!DOCTYPE m [<!ENTITY e "e">]><Message>&e;</Message>', max_bytes=MAX)
    assert caught.value.issues[0].code is IssueCode.SECURITY
    assert caught.value.header is None


def test_schema_location_hint_is_never_honoured() -> None:
    data = message(Ping()).replace(
        b'<Message xmlns="urn:msix:message:1">',
        b'<Message xmlns="urn:msix:message:1" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="urn:msix:message:1 http://127.0.0.1:9/lenient.xsd">',
    )
    assert parse_message(data, max_bytes=MAX).header.message_type.value == "Ping"


def test_mailbox_page_round_trips_its_messages() -> None:
    sent = message(MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA"))
    received = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)
    page = mailbox_document("WA", [MailboxEntry(received, "pending", sent)], more=True)
    ((entry, parsed),), more = read_mailbox(page, max_bytes=MAX)
    assert more
    assert (entry.received, entry.status) == (received, "pending")
    assert parsed.digest == parse_message(sent, max_bytes=MAX).digest


def test_expires_is_read_in_utc() -> None:
    expires = datetime(2026, 12, 1, 6, tzinfo=UTC) + timedelta(milliseconds=5)
    parsed = parse_message(message(Ping(), expires=expires), max_bytes=MAX)
    assert parsed.header.expires == expires


def test_record_paths_become_xpaths() -> None:
    root = "/Message/Body/EnrollmentUpdate/StudentRecord"
    assert record_xpath("record[1].enrollments[2].grade_level", root) == (
        f"{root}/Enrollments/Enrollment[3]/GradeLevel"
    )

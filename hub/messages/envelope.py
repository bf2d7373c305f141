"""The message envelope (`xsd/message-envelope.xsd`): read, check and write it.

`parse_message` is the one way in for an XML message. In order: the size cap and the hardened
parser (`hub.messages.safe_xml`), the envelope against its own schema, then the body against the
schema its `(MessageType, MessageVersion)` names, then the payload digest. Schemas come from the
local `xsd/` folder only; `xsi:schemaLocation` in a message is never honoured. Every problem found
is reported at once, located by XPath (and by line in the message text), and carried by
`InvalidMessageError` together with the header when the header itself was readable, so a reply
can still be addressed. Pure: no store, no clock.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

import xmlschema
from lxml import etree

from hub.errors import Issue, IssueCode, ValidationError, error
from hub.messages.safe_xml import load_schema, parse_xml, validate

NAMESPACE = "urn:msix:message:1"
ENVELOPE_SCHEMA = "message-envelope.xsd"
BODIES_SCHEMA = "message-bodies.xsd"
VERSION = "1.0"
DIGEST_ALGORITHM = "SHA-256"

HUB_SYSTEM = "urn:msix:hub"
"""Organization id system naming the hub itself (value `MSIX`)."""
CLIENT_SYSTEM = "urn:msix:client"
"""Organization id system naming a registered system client by its client_id."""
USER_SYSTEM = "urn:msix:user"
"""Organization id system naming a hub user (web UI) by username: who sent a move notice."""

_CLARK = re.compile(r"\{[^}]*\}")
_ENVELOPE_ROOT = "/Message"


class MessageType(StrEnum):
    RECORD_REQUEST = "RecordRequest"
    RECORD_RESPONSE = "RecordResponse"
    CANDIDATE_LIST = "CandidateList"
    MOVE_NOTIFICATION = "MoveNotification"
    ENROLLMENT_UPDATE = "EnrollmentUpdate"
    ACKNOWLEDGEMENT = "Acknowledgement"
    ERROR = "Error"
    PING = "Ping"


class Environment(StrEnum):
    PRODUCTION = "P"
    TEST = "T"


class AckRequested(StrEnum):
    ALWAYS = "Always"
    ON_ERROR = "OnError"
    NEVER = "Never"


BODY_SCHEMAS: dict[tuple[MessageType, str], str] = {
    (message_type, VERSION): BODIES_SCHEMA for message_type in MessageType
}
"""The body schema of each (MessageType, MessageVersion) the hub reads."""


@dataclass(frozen=True, slots=True)
class Party:
    """A sender or receiver: a state (absent for the hub) and an organisation id in a system."""

    state: str | None
    system: str
    organization: str

    @property
    def key(self) -> str:
        """The party as one string: the sender half of the duplicate key."""
        return f"{self.state or '-'}|{self.system}|{self.organization}"


HUB = Party(None, HUB_SYSTEM, "MSIX")


@dataclass(frozen=True, slots=True)
class MappingRef:
    id: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Header:
    message_id: str
    message_type: MessageType
    sender: Party
    receiver: Party
    created: datetime
    payload_digest: str = ""
    correlation_id: str | None = None
    in_reply_to: str | None = None
    message_version: str = VERSION
    expires: datetime | None = None
    environment: Environment = Environment.PRODUCTION
    ack_requested: AckRequested = AckRequested.ALWAYS
    mapping_ref: MappingRef | None = None


@dataclass(frozen=True)
class ParsedMessage:
    """A message that passed every check: its header, its body element and its digest."""

    header: Header
    body: etree._Element
    data: bytes  # the message as received, for store-and-forward

    @property
    def digest(self) -> str:
        return self.header.payload_digest


class InvalidMessageError(ValidationError):
    """A message refused by the parser, a schema or the digest check; `header` when readable."""

    def __init__(self, issues: list[Issue], header: Header | None = None) -> None:
        super().__init__(issues)
        self.header = header


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def payload_digest(body: etree._Element) -> str:
    """SHA-256 (lowercase hex) of the body element in exclusive canonical XML, no comments."""
    canonical = etree.tostring(body, method="c14n", exclusive=True, with_comments=False)
    return hashlib.sha256(canonical).hexdigest()


@functools.cache
def envelope_schema() -> xmlschema.XMLSchema10:
    return load_schema(ENVELOPE_SCHEMA)


@functools.cache
def body_schema(name: str) -> xmlschema.XMLSchema10:
    return load_schema(name)


def parse_message(data: bytes, *, max_bytes: int) -> ParsedMessage:
    """Parse and check one message; raise `TooLargeError`, or `InvalidMessageError` with every
    located issue (security issues, such as a DOCTYPE, carry `IssueCode.SECURITY`)."""
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except ValidationError as exc:
        raise InvalidMessageError(list(exc.issues)) from exc
    issues = [_relocated(issue, "") for issue in validate(envelope_schema(), root)]
    if issues:
        raise InvalidMessageError(issues, _header_or_none(root))
    header = read_header(root)
    body = _body_element(root)
    issues = _body_issues(header, body)
    computed = payload_digest(body)
    if computed != header.payload_digest:
        issues.append(
            error(
                IssueCode.VALUE,
                f"PayloadDigest does not match the body (its SHA-256 is {computed})",
                f"{_ENVELOPE_ROOT}/Header/PayloadDigest",
                "message-digest",
            )
        )
    if issues:
        raise InvalidMessageError(issues, header)
    return ParsedMessage(header, body, data)


def build_message(header: Header, body: etree._Element) -> bytes:
    """Serialise a message (UTF-8, with declaration): `body` goes into the Body and the header's
    PayloadDigest is computed from it."""
    root = etree.Element(qname("Message"), nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    head = etree.SubElement(root, qname("Header"))
    holder = etree.SubElement(root, qname("Body"))
    holder.append(body)
    header = replace(header, payload_digest=payload_digest(body))
    _write_header(head, header)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def reply_header(
    to: Header, message_type: MessageType, *, sender: Party = HUB, now: datetime
) -> Header:
    """The header of the hub's answer to `to`: addressed back, correlated, same environment."""
    return Header(
        message_id=new_message_id(),
        message_type=message_type,
        sender=sender,
        receiver=to.sender,
        created=now,
        correlation_id=to.correlation_id or to.message_id,
        in_reply_to=to.message_id,
        environment=to.environment,
        ack_requested=AckRequested.NEVER,
    )


def qname(local: str) -> str:
    return f"{{{NAMESPACE}}}{local}"


def instant(moment: datetime) -> str:
    """An xs:dateTime in UTC ending in Z, to the millisecond."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


# Reading


def read_header(root: etree._Element) -> Header:
    """The header of a schema-valid `Message` element."""
    head = root.find(qname("Header"))
    assert head is not None, "the envelope schema requires a Header"
    mapping = head.find(qname("MappingRef"))
    return Header(
        message_id=_text(head, "MessageId"),
        correlation_id=_optional(head, "CorrelationId"),
        in_reply_to=_optional(head, "InReplyTo"),
        message_type=MessageType(_text(head, "MessageType")),
        message_version=_text(head, "MessageVersion"),
        sender=_party(head, "Sender"),
        receiver=_party(head, "Receiver"),
        created=_instant(_text(head, "Created")),
        expires=_instant(expires) if (expires := _optional(head, "Expires")) else None,
        environment=Environment(_text(head, "Environment")),
        ack_requested=AckRequested(_text(head, "AckRequested")),
        payload_digest=_text(head, "PayloadDigest"),
        mapping_ref=None
        if mapping is None
        else MappingRef(_text(mapping, "Id"), _text(mapping, "Version"), _text(mapping, "Sha256")),
    )


def _header_or_none(root: etree._Element) -> Header | None:
    # A header that breaks its schema may still be readable enough to address an Error reply.
    try:
        return read_header(root)
    except (AssertionError, AttributeError, ValueError):
        return None


def _body_element(root: etree._Element) -> etree._Element:
    holder = root.find(qname("Body"))
    assert holder is not None, "the envelope schema requires a Body"
    return next(iter(holder.iterchildren(tag=etree.Element)))


def _body_issues(header: Header, body: etree._Element) -> list[Issue]:
    where = f"{_ENVELOPE_ROOT}/Body"
    schema = BODY_SCHEMAS.get((header.message_type, header.message_version))
    if schema is None:
        versions = sorted(v for (t, v) in BODY_SCHEMAS if t is header.message_type)
        return [
            error(
                IssueCode.NOT_SUPPORTED,
                f"{header.message_type} version {header.message_version} is not supported; "
                f"supported: {', '.join(versions)}",
                f"{_ENVELOPE_ROOT}/Header/MessageVersion",
                "message-version",
            )
        ]
    if body.tag != qname(header.message_type.value):
        return [
            error(
                IssueCode.STRUCTURE,
                f"MessageType is {header.message_type} but the body is "
                f"{etree.QName(body).localname}",
                f"{where}/{etree.QName(body).localname}",
                "message-type",
            )
        ]
    return [_relocated(issue, where) for issue in validate(body_schema(schema), body)]


def _relocated(issue: Issue, prefix: str) -> Issue:
    location = _CLARK.sub("", issue.location or "")
    return replace(issue, location=f"{prefix}{location}" or None)


def _text(parent: etree._Element, local: str) -> str:
    found = parent.find(qname(local))
    if found is None:
        raise ValueError(f"no {local}")
    return (found.text or "").strip()


def _optional(parent: etree._Element, local: str) -> str | None:
    found = parent.find(qname(local))
    return None if found is None else (found.text or "").strip()


def _party(head: etree._Element, local: str) -> Party:
    element = head.find(qname(local))
    if element is None:
        raise ValueError(f"no {local}")
    organization = element.find(qname("Organization"))
    if organization is None:
        raise ValueError(f"no {local}/Organization")
    return Party(
        _optional(element, "State"),
        organization.get("system", ""),
        (organization.text or "").strip(),
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Writing


def _write_header(head: etree._Element, header: Header) -> None:
    _sub(head, "MessageId", header.message_id)
    if header.correlation_id:
        _sub(head, "CorrelationId", header.correlation_id)
    if header.in_reply_to:
        _sub(head, "InReplyTo", header.in_reply_to)
    _sub(head, "MessageType", header.message_type.value)
    _sub(head, "MessageVersion", header.message_version)
    _write_party(_sub(head, "Sender"), header.sender)
    _write_party(_sub(head, "Receiver"), header.receiver)
    _sub(head, "Created", instant(header.created))
    if header.expires is not None:
        _sub(head, "Expires", instant(header.expires))
    _sub(head, "Environment", header.environment.value)
    _sub(head, "AckRequested", header.ack_requested.value)
    _sub(head, "PayloadDigest", header.payload_digest).set("algorithm", DIGEST_ALGORITHM)
    if header.mapping_ref is not None:
        ref = _sub(head, "MappingRef")
        _sub(ref, "Id", header.mapping_ref.id)
        _sub(ref, "Version", header.mapping_ref.version)
        _sub(ref, "Sha256", header.mapping_ref.sha256)


def _write_party(element: etree._Element, party: Party) -> None:
    if party.state:
        _sub(element, "State", party.state)
    _sub(element, "Organization", party.organization).set("system", party.system)


def _sub(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, qname(local))
    if text is not None:
        child.text = text
    return child


@dataclass(frozen=True)
class MailboxEntry:
    received: datetime
    status: str
    message: bytes  # a message the hub checked when it arrived


def mailbox_document(mailbox: str, entries: list[MailboxEntry], *, more: bool) -> bytes:
    """A `Mailbox` page (xsd/message-envelope.xsd) holding each message as it was sent."""
    root = etree.Element(qname("Mailbox"), nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    root.set("mailbox", mailbox)
    root.set("more", "true" if more else "false")
    for entry in entries:
        element = _sub(root, "Entry")
        element.set("received", instant(entry.received))
        element.set("status", entry.status)
        # Stored messages passed parse_message on arrival; they are parsed as untrusted anyway.
        element.append(parse_xml(entry.message, max_bytes=len(entry.message)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read_mailbox(
    data: bytes, *, max_bytes: int
) -> tuple[list[tuple[MailboxEntry, ParsedMessage]], bool]:
    """The messages of a `Mailbox` page, each checked as `parse_message` does, and `more`."""
    root = parse_xml(data, max_bytes=max_bytes)
    issues = validate(envelope_schema(), root)
    if issues or root.tag != qname("Mailbox"):
        raise InvalidMessageError(issues or [error(IssueCode.STRUCTURE, "not a Mailbox", "/")])
    found = []
    for element in root.iterchildren(qname("Entry")):
        message = etree.tostring(element[0], encoding="UTF-8")
        entry = MailboxEntry(
            _instant(element.get("received", "")), element.get("status", ""), message
        )
        found.append((entry, parse_message(message, max_bytes=max_bytes)))
    return found, root.get("more") == "true"

"""Message envelopes written from a suite's `message:` block (xsd/message-envelope.xsd).

The suite gives the body as XML text and the header fields it cares about; the engine fills the
rest (a fresh MessageId, Created now, the PayloadDigest over the body's exclusive canonical form)
so that suites stay readable. `digest: wrong` sends a deliberately mismatched digest.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

NAMESPACE = "urn:msix:message:1"
HUB_PARTY = {"system": "urn:msix:hub", "organization": "MSIX"}
_HEADER_ORDER = (
    "MessageId",
    "CorrelationId",
    "InReplyTo",
    "MessageType",
    "MessageVersion",
    "Sender",
    "Receiver",
    "Created",
    "Expires",
    "Environment",
    "AckRequested",
    "PayloadDigest",
)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_body(text: str) -> etree._Element:
    # The body comes from our own suite file, yet it is parsed as carefully as anything else.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    return etree.fromstring(text.strip().encode("utf-8"), parser)


def digest(body: etree._Element) -> str:
    canonical = etree.tostring(body, method="c14n", exclusive=True, with_comments=False)
    return hashlib.sha256(canonical).hexdigest()


def build_message(spec: dict[str, Any]) -> tuple[bytes, str]:
    """The message bytes for a `message:` block (variables already substituted) and its id."""
    body = _parse_body(str(spec["body"]))
    message_id = str(spec.get("id") or f"urn:uuid:{uuid.uuid4()}")
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "MessageId": message_id,
        "CorrelationId": spec.get("correlation_id"),
        "InReplyTo": spec.get("in_reply_to"),
        "MessageType": spec.get("type") or etree.QName(body).localname,
        "MessageVersion": spec.get("version", "1.0"),
        "Sender": spec.get("sender", HUB_PARTY),
        "Receiver": spec.get("receiver", HUB_PARTY),
        "Created": _instant(now + timedelta(seconds=int(spec.get("created_offset", 0)))),
        "Expires": None
        if spec.get("expires_in") is None
        else _instant(now + timedelta(seconds=int(spec["expires_in"]))),
        "Environment": spec.get("environment", "T"),
        "AckRequested": spec.get("ack_requested", "Always"),
        "PayloadDigest": "0" * 64 if spec.get("digest") == "wrong" else digest(body),
    }
    root = etree.Element(f"{{{NAMESPACE}}}Message", nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    head = etree.SubElement(root, f"{{{NAMESPACE}}}Header")
    for name in _HEADER_ORDER:
        value = fields[name]
        if value is None:
            continue
        element = etree.SubElement(head, f"{{{NAMESPACE}}}{name}")
        if isinstance(value, dict):
            _party(element, value)
        else:
            element.text = str(value)
        if name == "PayloadDigest":
            element.set("algorithm", "SHA-256")
    etree.SubElement(root, f"{{{NAMESPACE}}}Body").append(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), message_id


def _party(element: etree._Element, party: dict[str, Any]) -> None:
    if party.get("state"):
        etree.SubElement(element, f"{{{NAMESPACE}}}State").text = str(party["state"])
    organization = etree.SubElement(element, f"{{{NAMESPACE}}}Organization")
    organization.text = str(party["organization"])
    organization.set("system", str(party["system"]))

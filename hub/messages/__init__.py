"""XML messages: the hardened parser, published schemas and codecs (STANDARDS.md §6-7)."""

from hub.messages.body_xml import body_element, read_body
from hub.messages.education_xml import (
    record_from_xml,
    record_schema_issues,
    record_to_xml,
    records_from_bytes,
    records_to_bytes,
)
from hub.messages.envelope import InvalidMessageError, build_message, parse_message
from hub.messages.safe_xml import load_schema, parse_xml, safe_xslt, validate

__all__ = [
    "InvalidMessageError",
    "body_element",
    "build_message",
    "load_schema",
    "parse_message",
    "parse_xml",
    "read_body",
    "record_from_xml",
    "record_schema_issues",
    "record_to_xml",
    "records_from_bytes",
    "records_to_bytes",
    "safe_xslt",
    "validate",
]

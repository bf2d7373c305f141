"""XML messages: the hardened parser, published schemas and codecs (STANDARDS.md §6-7)."""

from hub.messages.education_xml import (
    record_from_xml,
    record_to_xml,
    records_from_bytes,
    records_to_bytes,
)
from hub.messages.safe_xml import load_schema, parse_xml, safe_xslt, validate

__all__ = [
    "load_schema",
    "parse_xml",
    "record_from_xml",
    "record_to_xml",
    "records_from_bytes",
    "records_to_bytes",
    "safe_xslt",
    "validate",
]

"""Every example under xsd/examples/ is classified as its folder says, by libxml2 and by xmlschema.

An example lives at `xsd/examples/<schema>/{valid,invalid}/*.xml` and is checked against
`xsd/<schema>.xsd`, so a new schema or example is tested without new test code. Whole messages
live at `xsd/examples/messages/`: the envelope is checked against `message-envelope.xsd`, then
its body against the body schema its (MessageType, MessageVersion) names, as the hub does.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from hub.errors import Issue
from hub.messages.envelope import BODY_SCHEMAS, ENVELOPE_SCHEMA, NAMESPACE, MessageType
from hub.messages.safe_xml import XSD_DIR, load_schema, parse_xml, validate

EXAMPLES = XSD_DIR / "examples"
MAX_BYTES = 2 * 1024 * 1024
MESSAGES = "messages"
# Schemas whose examples are whole messages under xsd/examples/messages/.
MESSAGE_SCHEMAS = frozenset({ENVELOPE_SCHEMA.removesuffix(".xsd")}) | {
    name.removesuffix(".xsd") for name in BODY_SCHEMAS.values()
}


def examples(label: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"*/{label}/*.xml"))


def example_id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


@functools.cache
def xmlschema_for(name: str) -> xmlschema.XMLSchema10:
    return load_schema(f"{name}.xsd")


@functools.cache
def libxml2_schema_for(name: str) -> etree.XMLSchema:
    # Our own files, parsed by path so that xs:import finds its neighbour in xsd/.
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{name}.xsd")))


def schema_name(example: Path) -> str:
    return example.parent.parent.name


def test_every_schema_has_valid_and_invalid_examples() -> None:
    schemas = sorted(path.stem for path in XSD_DIR.glob("*.xsd"))
    assert schemas
    for name in schemas:
        folder = MESSAGES if name in MESSAGE_SCHEMAS else name
        assert list((EXAMPLES / folder / "valid").glob("*.xml")), f"{name}: no valid example"
        assert list((EXAMPLES / folder / "invalid").glob("*.xml")), f"{name}: no invalid example"


def test_every_message_type_has_a_valid_example() -> None:
    types = {
        element.findtext(f"{{{NAMESPACE}}}Header/{{{NAMESPACE}}}MessageType")
        for element in (
            parse_xml(path.read_bytes(), max_bytes=MAX_BYTES)
            for path in (EXAMPLES / MESSAGES / "valid").glob("*.xml")
        )
    }
    assert types == {message_type.value for message_type in MessageType}


def message_parts(element: etree._Element) -> list[tuple[str, etree._Element]]:
    """(schema, element) pairs to check: the envelope, then the body when the header names one."""
    parts = [(ENVELOPE_SCHEMA.removesuffix(".xsd"), element)]
    header = element.find(f"{{{NAMESPACE}}}Header")
    body = element.find(f"{{{NAMESPACE}}}Body")
    if header is None or body is None or len(body) == 0:
        return parts
    try:
        kind = MessageType(header.findtext(f"{{{NAMESPACE}}}MessageType") or "")
    except ValueError:
        return parts
    schema = BODY_SCHEMAS.get((kind, header.findtext(f"{{{NAMESPACE}}}MessageVersion") or ""))
    if schema is not None:
        parts.append((schema.removesuffix(".xsd"), body[0]))
    return parts


def xmlschema_issues(example: Path, element: etree._Element) -> list[Issue]:
    if schema_name(example) != MESSAGES:
        return validate(xmlschema_for(schema_name(example)), element)
    return [
        issue
        for name, part in message_parts(element)
        for issue in validate(xmlschema_for(name), part)
    ]


def libxml2_accepts(example: Path, element: etree._Element) -> tuple[bool, str]:
    if schema_name(example) != MESSAGES:
        schema = libxml2_schema_for(schema_name(example))
        return bool(schema.validate(element)), str(schema.error_log)
    for name, part in message_parts(element):
        schema = libxml2_schema_for(name)
        if not schema.validate(part):
            return False, str(schema.error_log)
    return True, ""


@pytest.mark.parametrize("example", examples("valid"), ids=example_id)
def test_valid_example_passes_both_validators(example: Path) -> None:
    element = parse_xml(example.read_bytes(), max_bytes=MAX_BYTES)
    assert xmlschema_issues(example, element) == []
    accepted, log = libxml2_accepts(example, element)
    assert accepted, log


@pytest.mark.parametrize("example", examples("invalid"), ids=example_id)
def test_invalid_example_fails_both_validators(example: Path) -> None:
    element = parse_xml(example.read_bytes(), max_bytes=MAX_BYTES)
    issues = xmlschema_issues(example, element)
    assert issues, "xmlschema accepted it"
    assert all(issue.location for issue in issues)
    assert not libxml2_accepts(example, element)[0], "libxml2 accepted it"


@pytest.mark.parametrize("example", examples("invalid"), ids=example_id)
def test_invalid_example_opens_with_a_comment_saying_what_is_wrong(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    assert text.lstrip().startswith("<!--"), "start with a comment saying what is wrong"

"""Every example under xsd/examples/ is classified as its folder says, by libxml2 and by xmlschema.

An example lives at `xsd/examples/<schema>/{valid,invalid}/*.xml` and is checked against
`xsd/<schema>.xsd`, so a new schema or example is tested without new test code.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from hub.messages.safe_xml import XSD_DIR, load_schema, parse_xml, validate

EXAMPLES = XSD_DIR / "examples"
MAX_BYTES = 2 * 1024 * 1024


def examples(label: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"*/{label}/*.xml"))


def example_id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


@functools.cache
def xmlschema_for(name: str) -> xmlschema.XMLSchema10:
    return load_schema(f"{name}.xsd")


@functools.cache
def libxml2_schema_for(name: str) -> etree.XMLSchema:
    document = parse_xml((XSD_DIR / f"{name}.xsd").read_bytes(), max_bytes=MAX_BYTES)
    return etree.XMLSchema(document)


def schema_name(example: Path) -> str:
    return example.parent.parent.name


def test_every_schema_has_valid_and_invalid_examples() -> None:
    schemas = sorted(path.stem for path in XSD_DIR.glob("*.xsd"))
    assert schemas
    for name in schemas:
        assert list((EXAMPLES / name / "valid").glob("*.xml")), f"{name}: no valid example"
        assert list((EXAMPLES / name / "invalid").glob("*.xml")), f"{name}: no invalid example"


@pytest.mark.parametrize("example", examples("valid"), ids=example_id)
def test_valid_example_passes_both_validators(example: Path) -> None:
    element = parse_xml(example.read_bytes(), max_bytes=MAX_BYTES)
    assert validate(xmlschema_for(schema_name(example)), element) == []
    libxml2 = libxml2_schema_for(schema_name(example))
    assert libxml2.validate(element), str(libxml2.error_log)


@pytest.mark.parametrize("example", examples("invalid"), ids=example_id)
def test_invalid_example_fails_both_validators(example: Path) -> None:
    element = parse_xml(example.read_bytes(), max_bytes=MAX_BYTES)
    issues = validate(xmlschema_for(schema_name(example)), element)
    assert issues, "xmlschema accepted it"
    assert all(issue.location for issue in issues)
    assert not libxml2_schema_for(schema_name(example)).validate(element), "libxml2 accepted it"


@pytest.mark.parametrize("example", examples("invalid"), ids=example_id)
def test_invalid_example_opens_with_a_comment_saying_what_is_wrong(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    assert text.lstrip().startswith("<!--"), "start with a comment saying what is wrong"

"""A state's own XML: streamed per record element, reshaped by our XSLT under DENY_ALL, refined
by rules. Includes the STANDARDS.md §7 cases that concern the mapping path."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hub.errors import ConfigurationError
from hub.mapping import FileRejected, Mapping, load_mapping

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

SECRET = "SYNTHETIC-SECRET-5521"
XSL_HEAD = (
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
    'xmlns="urn:msix:education-record:1">'
)


def student(student_id: str, sex: str = "F", dob: str = "03/14/2012", extra: str = "") -> str:
    return (
        f"<Student><Id>{student_id}</Id><Action>I</Action>"
        "<Name><Given>María</Given><Paternal>de la Cruz</Paternal><Maternal>Hernández</Maternal>"
        f"</Name><Sex>{sex}</Sex><Dob>{dob}</Dob><Qad>2024-08-19</Qad>{extra}</Student>"
    )


def document(*students: str) -> bytes:
    body = "".join(students)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<Students xmlns="urn:example:state-students">'
    return f"{head}{body}</Students>\n".encode()


@pytest.fixture
def state_xml(fixtures: Path) -> Mapping:
    return load_mapping(fixtures / "mappings" / "state-xml" / "mapping.yaml")


def test_each_record_element_becomes_a_canonical_record(
    state_xml: Mapping, map_bytes: MapBytes
) -> None:
    enrollments = (
        '<Enrollment start="2024-08-26" grade="5"/><Enrollment start="2025-08-25" grade="6"/>'
    )
    first, second = map_bytes(state_xml, document(student("X1", extra=enrollments), student("X2")))
    assert first.issues == []
    record = first.record
    assert record is not None
    assert record.key == ("ZZ", "X1")
    assert (record.identity.last_name_1, record.identity.last_name_2) == ("de la Cruz", "Hernández")
    assert record.identity.sex == "Female"
    assert record.identity.birth_date == date(2012, 3, 14)
    assert [(e.record_id, e.grade_level) for e in record.enrollments] == [
        ("001", "05"),
        ("002", "06"),
    ]
    assert (second.record_number, second.state_student_id) == (2, "X2")


def test_refining_rules_report_located_issues_with_values(
    state_xml: Mapping, map_bytes: MapBytes
) -> None:
    (mapped,) = map_bytes(state_xml, document(student("X3", sex="Q", dob="02/30/2012")))
    assert [(i.location, i.rule) for i in mapped.issues] == [
        ("record[1].identity.sex", "map.lookup"),
        ("record[1].identity.birth_date", "map.parse_date"),
    ]
    assert mapped.values == {"identity.sex": "Q", "identity.birth_date": "02/30/2012"}
    assert mapped.record is not None
    assert mapped.record.identity.birth_date is None


def test_the_stylesheet_cannot_read_local_files(
    write_mapping: WriteMapping, transforms_dir: Path, tmp_path: Path, map_bytes: MapBytes
) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(f"<s>{SECRET}</s>", encoding="utf-8")
    (transforms_dir / "steal.xsl").write_text(
        XSL_HEAD
        + '<xsl:template match="/"><StudentRecord><StudentId><State>ZZ</State><Value>'
        + f"<xsl:value-of select=\"document('{secret.as_uri()}')\"/>"
        + "<xsl:value-of select=\"document('file:///etc/passwd')\"/>"
        + "<xsl:value-of select=\"document('http://127.0.0.1:9/canary.xml')\"/>"
        + "</Value></StudentId></StudentRecord></xsl:template></xsl:stylesheet>",
        encoding="utf-8",
    )
    mapping = load_mapping(
        write_mapping(
            "state: ZZ\nformat: xml\nxml: {xslt: transforms/steal.xsl, record_element: Student}\n"
        )
    )
    (mapped,) = map_bytes(mapping, document(student("X4")))
    assert mapped.record is None
    (issue,) = mapped.issues
    assert issue.rule == "map.xslt"
    assert SECRET not in repr(mapped)
    assert "root:" not in repr(mapped)


def test_a_doctype_rejects_the_file(state_xml: Mapping, map_bytes: MapBytes) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE Students [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Students xmlns="urn:example:state-students"><Student><Id>&x;</Id></Student></Students>'
    )
    with pytest.raises(FileRejected) as caught:
        map_bytes(state_xml, data)
    assert [issue.rule for issue in caught.value.issues] == ["xml-no-doctype"]


def test_malformed_xml_rejects_the_file_with_its_line(
    state_xml: Mapping, map_bytes: MapBytes
) -> None:
    data = document(student("X5")).replace(b"</Students>", b"<Student><Id>X6</Student>")
    with pytest.raises(FileRejected) as caught:
        map_bytes(state_xml, data)
    assert caught.value.issues[0].rule == "xml-well-formed"
    assert caught.value.issues[0].location == "line 2, column 267"
    assert caught.value.issues[0].message.startswith("Opening and ending tag mismatch")


def test_a_stylesheet_must_produce_a_student_record(
    write_mapping: WriteMapping, transforms_dir: Path, map_bytes: MapBytes
) -> None:
    (transforms_dir / "wrong.xsl").write_text(
        XSL_HEAD + '<xsl:template match="/"><Other/></xsl:template></xsl:stylesheet>',
        encoding="utf-8",
    )
    mapping = load_mapping(
        write_mapping(
            "state: ZZ\nformat: xml\nxml: {xslt: transforms/wrong.xsl, record_element: Student}\n"
        )
    )
    (mapped,) = map_bytes(mapping, document(student("X7")))
    assert [(i.location, i.rule) for i in mapped.issues] == [("record[1]", "map.xslt")]


def test_a_stylesheet_with_a_doctype_or_outside_transforms_is_refused(
    write_mapping: WriteMapping, transforms_dir: Path
) -> None:
    (transforms_dir / "dtd.xsl").write_text(
        '<!DOCTYPE x [<!ENTITY e "e">]>' + XSL_HEAD + "</xsl:stylesheet>", encoding="utf-8"
    )
    path = write_mapping(
        "state: ZZ\nformat: xml\nxml: {xslt: transforms/dtd.xsl, record_element: Student}\n"
    )
    with pytest.raises(ConfigurationError, match="has a DOCTYPE"):
        load_mapping(path)
    escaping = write_mapping(
        "state: ZZ\nformat: xml\nxml: {xslt: transforms/../x.xsl, record_element: Student}\n",
        folder="zy",
    )
    with pytest.raises(ConfigurationError, match="no stylesheet"):
        load_mapping(escaping)


def test_records_before_a_file_error_were_already_yielded(state_xml: Mapping) -> None:
    import io

    from hub.mapping import map_file

    data = document(student("X8"), student("X9")).replace(b"</Students>", b"<Broken")
    records = map_file(state_xml, io.BytesIO(data), today=date(2026, 11, 28))
    assert next(records).state_student_id == "X8"
    assert next(records).state_student_id == "X9"
    with pytest.raises(FileRejected):
        next(records)


def test_a_blank_key_reads_as_no_key_as_in_line_formats(
    state_xml: Mapping, map_bytes: MapBytes
) -> None:
    # Regression: an empty key element came back as state_student_id "" where a line format
    # gives None.
    (mapped,) = map_bytes(state_xml, document(student("")))
    assert mapped.state_student_id is None
    assert [i.rule for i in mapped.issues] == ["mde.key-required"]

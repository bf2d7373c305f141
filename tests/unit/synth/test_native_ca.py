"""CA XML: valid against its own schema, and the stylesheet turns every Student into the
canonical record (less its conditions), under DENY_ALL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub.errors import ConfigurationError
from hub.messages.education_xml import NAMESPACE, education_schema, record_from_xml
from hub.messages.safe_xml import load_schema, safe_xslt, validate
from hub.model import StudentRecord
from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, native_file_name, write_native

ROOT = Path(__file__).resolve().parents[3]
STYLESHEET = ROOT / "transforms" / "ca-to-education-record.xsl"
SEED, CHILDREN = 17, 250


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("native")
    write_native(out, seed=SEED, count=CHILDREN)
    return out / native_file_name("CA")


@pytest.fixture(scope="module")
def transform() -> etree.XSLT:
    return safe_xslt(STYLESHEET)


def _canonical() -> list[StudentRecord]:
    return [
        emitted.record
        for child in iter_children(SEED, CHILDREN, states=SAMPLE_STATES)
        for emitted in child.records
        if emitted.record.student_id.state == "CA"
    ]


def ca_view(record: StudentRecord) -> StudentRecord:
    """What CA carries of `record`: everything but the conditions (mappings/ca/README.md)."""
    return record.model_copy(update={"conditions": []})


def _students(path: Path) -> list[etree._Element]:
    # Streamed and cleared as the ingest reader will; each Student is applied on its own.
    students = []
    for _, element in etree.iterparse(str(path), tag="Student", resolve_entities=False):
        students.append(etree.fromstring(etree.tostring(element)))
        element.clear()
    return students


def test_the_file_validates_against_the_state_format_schema(ca_file: Path) -> None:
    schema = load_schema("state-format.xsd", root=ROOT / "mappings" / "ca")
    root = etree.parse(str(ca_file)).getroot()

    assert validate(schema, root) == []
    students = root.findall("Student")
    assert root.find("Summary").get("studentCount") == str(len(students))  # type: ignore[union-attr]
    assert len(students) > 50


def test_each_student_becomes_a_valid_canonical_record_equal_to_the_synthetic_one(
    ca_file: Path, transform: etree.XSLT
) -> None:
    expected = _canonical()
    students = _students(ca_file)
    assert len(students) == len(expected)

    for student, record in zip(students, expected, strict=True):
        canonical = transform(student).getroot()
        assert canonical.tag == f"{{{NAMESPACE}}}StudentRecord"
        assert validate(education_schema(), canonical) == [], record.student_id.value
        assert record_from_xml(canonical) == ca_view(record), record.student_id.value
    # The comparison covers the fields that need converting, or it proves little.
    assert any(e.grade_level == "KG" for r in expected for e in r.enrollments)
    assert any(c.begin_year for r in expected for c in r.courses)
    assert any(r.assessments for r in expected)
    assert any(i.primary_source for r in expected for i in r.immunizations)
    assert any(not i.primary_source for r in expected for i in r.immunizations)


def test_the_stylesheet_keeps_accents_and_converts_dates_codes_and_flags(
    transform: etree.XSLT,
) -> None:
    student = etree.fromstring(
        "<Student action='U'><SSID>3000000001</SSID><Name><FirstName>Dolores Aurelia</FirstName>"
        "<LastName>Ibáñez</LastName><SecondLastName>Muñoz</SecondLastName></Name>"
        "<Gender>F</Gender><BirthDate>09-sep-98</BirthDate><MultipleBirth>Y</MultipleBirth>"
        "<Enrollments><Enrollment Seq='007'><EnrollDate>01-FEB-24</EnrollDate><Grade>KN</Grade>"
        "<EL>N</EL></Enrollment></Enrollments></Student>".encode()
    )

    record = record_from_xml(transform(student).getroot())
    assert (record.identity.last_name_1, record.identity.last_name_2) == ("Ibáñez", "Muñoz")
    assert record.identity.sex == "Female"
    assert str(record.identity.birth_date) == "1998-09-09"  # 98 is in the 1900s
    assert record.identity.multiple_birth is True
    enrollment = record.enrollments[0]
    assert (enrollment.record_id, str(enrollment.enrollment_date)) == ("007", "2024-02-01")
    assert (enrollment.grade_level, enrollment.lep) == ("KG", False)


@pytest.mark.parametrize("bad", ["05-MRZ-14", "5-MAR-14", "05-ANF-14", "05-MAR-1x", "2014-03-05x"])
def test_a_date_the_stylesheet_cannot_read_is_left_for_the_schema_to_reject(
    transform: etree.XSLT, bad: str
) -> None:
    student = etree.fromstring(
        f"<Student action='I'><SSID>1</SSID><BirthDate>{bad}</BirthDate></Student>".encode()
    )

    canonical = transform(student).getroot()
    assert [i.location for i in validate(education_schema(), canonical)][:1] == [
        "/StudentRecord/Identity/BirthDate"
    ]


def test_the_stylesheet_uses_no_document_call_and_compiles_under_deny_all(tmp_path: Path) -> None:
    stylesheet = etree.parse(str(STYLESHEET)).getroot()
    expressions = [value for element in stylesheet.iter() for value in element.attrib.values()]
    assert stylesheet.get("version") == "1.0"
    assert stylesheet.get("extension-element-prefixes") is None
    assert not [e for e in expressions if "document(" in e or "exsl" in e]

    # The same compiler refuses to let a stylesheet read a file, which is what DENY_ALL buys.
    secret = tmp_path / "secret.xml"
    secret.write_text("<secret>do not read</secret>")
    snooping = tmp_path / "snoop.xsl"
    snooping.write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        f'<xsl:template match="/"><x><xsl:copy-of select="document(\'{secret.as_uri()}\')"/></x>'
        "</xsl:template></xsl:stylesheet>"
    )
    with pytest.raises(etree.XSLTApplyError):
        safe_xslt(snooping)(etree.fromstring(b"<Student/>"))


def test_a_stylesheet_that_does_not_compile_is_a_configuration_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xsl"
    broken.write_text(STYLESHEET.read_text(encoding="utf-8").replace("</xsl:stylesheet>", ""))

    with pytest.raises(ConfigurationError):
        safe_xslt(broken)


def test_applied_to_the_whole_file_the_stylesheet_produces_nothing(
    ca_file: Path, transform: etree.XSLT
) -> None:
    # It is written for one Student: the reader must split the file, never hand it over whole.
    assert transform(etree.parse(str(ca_file))).getroot() is None

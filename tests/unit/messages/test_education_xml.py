"""The education-record codec is lossless, its XML is schema-valid, and the XSD matches the model.

The record strategy is derived from the model's fields and MDE metadata (types, lengths), with the
XSD's patterns for the few fields that have one, so a new model field is generated without a change
here. Values are limited to what XML 1.0 can carry: no control characters.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from annotated_types import MaxLen
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hub.errors import IssueCode, ValidationError
from hub.messages.education_xml import (
    NAMESPACE,
    _compiled_schema,
    education_schema,
    element_name,
    record_from_xml,
    record_schema_issues,
    record_to_xml,
    records_from_bytes,
    records_to_bytes,
)
from hub.messages.safe_xml import XSD_DIR, parse_xml, validate
from hub.model import Condition, Course, Identity, StudentId, StudentRecord

EXAMPLES = XSD_DIR / "examples" / "education-record"
MAX_BYTES = 2 * 1024 * 1024

# Characters XML 1.0 allows, less the noncharacters; whitespace control characters are kept.
XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs"),
    exclude_characters="\ufffe\uffff",
    include_characters="\t\n\r",
)
# The XSD patterns (StateCode, MsixId, RecordId, Phone, YearMonth), by field name.
PATTERNED = {
    "msix_id": st.from_regex(r"[0-9]{12}", fullmatch=True),
    "record_id": st.integers(1, 999).map("{:03d}".format),
    "phone": st.from_regex(r"[0-9]{10}", fullmatch=True),
    "facility_phone": st.from_regex(r"[0-9]{10}", fullmatch=True),
    "administration_date": st.builds(
        "{:04d}-{:02d}".format, st.integers(1900, 2100), st.integers(1, 12)
    ),
    "begin_year": st.integers(1000, 9999),
    "end_year": st.integers(1000, 9999),
    "dose_number": st.integers(1, 2**31 - 1),
}
STATE_CODE = st.from_regex(r"[A-Z]{2}", fullmatch=True)
OFFSETS = [timedelta(0), timedelta(hours=-5), timedelta(hours=5, minutes=30)]
TIMESTAMPS = st.datetimes(timezones=st.sampled_from([timezone(offset) for offset in OFFSETS]))
# Credits are N(3,2); clock hours have no maximum in the XSD, so any bound will do here.
DECIMAL_MAXIMUM = {"credits_granted": Decimal("999.99"), "clock_hours": Decimal("9999.99")}


def text(max_size: int) -> st.SearchStrategy[str]:
    # The model strips surrounding whitespace, and the XSD wants at least one character.
    return st.text(XML_CHARS, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def decimals(maximum: Decimal) -> st.SearchStrategy[Decimal]:
    return st.integers(0, 2).flatmap(
        lambda places: st.decimals(min_value=0, max_value=maximum, places=places)
    )


def without_none(annotation: Any) -> tuple[Any, bool]:
    args = [arg for arg in getattr(annotation, "__args__", ()) if arg is not type(None)]
    if type(None) in getattr(annotation, "__args__", ()) and len(args) == 1:
        return args[0], True
    return annotation, False


def scalar(name: str, annotation: Any, field: FieldInfo) -> st.SearchStrategy[Any]:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if name in PATTERNED:
        return PATTERNED[name]
    if name == "state" or name.endswith("_state"):
        return STATE_CODE
    if annotation is bool:
        return st.booleans()
    if annotation is datetime:
        return TIMESTAMPS
    if annotation is date:
        return st.dates()
    if annotation is Decimal:
        return decimals(DECIMAL_MAXIMUM[name])
    if annotation is int:
        return st.integers(1, 10**9)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is str:
        length = extra.get("length")
        return text(length if isinstance(length, int) else 200)
    raise NotImplementedError(f"no strategy for {name}: {annotation!r}")


def field_strategy(name: str, field: FieldInfo) -> st.SearchStrategy[Any]:
    annotation, optional = without_none(field.annotation)
    strategy: st.SearchStrategy[Any]
    if getattr(annotation, "__origin__", None) is list:
        (item,) = annotation.__args__
        most = next((rule.max_length for rule in field.metadata if isinstance(rule, MaxLen)), 3)
        unique = "record_id" in item.model_fields
        strategy = st.lists(
            models(item),
            max_size=min(most, 3),
            unique_by=(lambda row: row.record_id) if unique else None,
        )
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        strategy = models(annotation)
    else:
        strategy = scalar(name, annotation, field)
    return st.none() | strategy if optional else strategy


@functools.cache
def models(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    fields = {name: field_strategy(name, field) for name, field in model.model_fields.items()}
    return st.builds(model, **fields)


def canonical(element: etree._Element) -> bytes:
    serialize: Any = etree.tostring  # lxml-stubs 0.5 lack the C14N 2.0 options
    return bytes(serialize(element, method="c14n2", strip_text=True))


@functools.cache
def libxml2_schema() -> etree.XMLSchema:
    return etree.XMLSchema(
        parse_xml((XSD_DIR / "education-record.xsd").read_bytes(), max_bytes=MAX_BYTES)
    )


@settings(max_examples=150, deadline=None)
@given(record=models(StudentRecord))
def test_record_survives_xml_round_trip_and_validates(record: StudentRecord) -> None:
    element = record_to_xml(record)
    assert record_from_xml(element) == record
    assert validate(education_schema(), element) == []
    assert libxml2_schema().validate(element), str(libxml2_schema().error_log)
    assert records_from_bytes(records_to_bytes([record]), MAX_BYTES) == [record]


def test_full_example_reencodes_to_the_same_canonical_xml() -> None:
    data = (EXAMPLES / "valid" / "full.xml").read_bytes()
    (record,) = records_from_bytes(data, MAX_BYTES)
    assert canonical(record_to_xml(record)) == canonical(parse_xml(data, max_bytes=MAX_BYTES))


def test_full_example_reads_every_group() -> None:
    (record,) = records_from_bytes((EXAMPLES / "valid" / "full.xml").read_bytes(), MAX_BYTES)
    assert record.key == ("TX", "TX0004471203")
    assert record.msix_id == "000412893307"
    assert (record.identity.first_name, record.identity.last_name_1) == ("Guadalupe", "de la Cruz")
    assert record.identity.last_name_2 == "Hernández"
    assert record.identity.birth_date == date(2007, 3, 14)
    assert record.identity.multiple_birth is False
    assert [parent.first_name for parent in record.identity.parents] == ["María", "Tomás"]
    assert record.identity.alternate_ids == [StudentId(state="TX", value="MEP-88213", id_type="02")]
    assert record.moves[0].to_state == "TX"
    assert [enrollment.record_id for enrollment in record.enrollments] == ["001", "002"]
    assert record.enrollments[0].lep is True
    assert record.assessments[0].administration_date == "2024-05"
    assert str(record.courses[0].credits_granted) == "0.50"
    assert record.courses[0].clock_hours == Decimal("62.50")
    assert [dose.dose_number for dose in record.immunizations] == [1, 2, None]
    assert record.conditions[2].clinical_status is None
    assert record.source is not None
    assert record.source.received_at == datetime(2025, 6, 30, 14, 5, 9, tzinfo=UTC)


def test_batch_example_reads_records_in_order() -> None:
    records = records_from_bytes((EXAMPLES / "valid" / "batch.xml").read_bytes(), MAX_BYTES)
    assert [(record.student_id.value, record.action.value) for record in records] == [
        ("CA5501234", "I"),
        ("CA5501235", "U"),
        ("CA5409981", "D"),
    ]


def test_omitted_defaults_read_as_model_defaults() -> None:
    (record,) = records_from_bytes((EXAMPLES / "valid" / "minimal.xml").read_bytes(), MAX_BYTES)
    assert record == StudentRecord(student_id=StudentId(state="WA", value="WA77001932"))


@pytest.mark.parametrize(
    "example", sorted((EXAMPLES / "valid").glob("*.xml")), ids=lambda p: p.name
)
def test_valid_example_round_trips(example: Path) -> None:
    records = records_from_bytes(example.read_bytes(), MAX_BYTES)
    assert records
    assert records_from_bytes(records_to_bytes(records), MAX_BYTES) == records


@pytest.mark.parametrize(
    "example", sorted((EXAMPLES / "invalid").glob("*.xml")), ids=lambda p: p.name
)
def test_invalid_example_is_rejected_with_located_issues(example: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        records_from_bytes(example.read_bytes(), MAX_BYTES)
    assert all(issue.location and issue.location.startswith("/") for issue in caught.value.issues)


def test_absent_values_and_empty_groups_are_omitted() -> None:
    element = record_to_xml(StudentRecord(student_id=StudentId(state="WA", value="1")))
    assert [etree.QName(child).localname for child in element] == ["StudentId", "Action"]


def test_absent_value_with_a_default_is_sent_as_nil() -> None:
    record = StudentRecord(
        student_id=StudentId(state="TX", value="1"),
        conditions=[
            Condition(record_id="001", code_system="snomed", code="1", clinical_status=None)
        ],
    )
    (status,) = record_to_xml(record).iter(f"{{{NAMESPACE}}}ClinicalStatus")
    assert status.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    assert record_from_xml(record_to_xml(record)).conditions[0].clinical_status is None


@pytest.mark.parametrize(("credits", "expected"), [("1.50", "1.50"), ("0", "0"), ("1E+2", "100")])
def test_decimals_are_written_in_fixed_point_with_their_digits(credits: str, expected: str) -> None:
    course = Course(record_id="001", title="Algebra II", credits_granted=Decimal(credits))
    record = StudentRecord(student_id=StudentId(state="TX", value="1"), courses=[course])
    (written,) = record_to_xml(record).iter(f"{{{NAMESPACE}}}CreditsGranted")
    assert written.text == expected


def test_text_xml_cannot_carry_is_a_located_error() -> None:
    record = StudentRecord(
        student_id=StudentId(state="TX", value="1"), identity=Identity(first_name="Lu\x00pe")
    )
    with pytest.raises(ValidationError) as caught:
        record_to_xml(record)
    assert [issue.location for issue in caught.value.issues] == [
        "/StudentRecord/Identity/FirstName"
    ]


def test_unknown_and_repeated_elements_are_located() -> None:
    element = etree.fromstring(
        f'<StudentRecord xmlns="{NAMESPACE}"><StudentId><State>TX</State><Value>1</Value>'
        "</StudentId><Identity><FirstName>Lupe</FirstName><FirstName>Lupita</FirstName>"
        "<Nickname>L</Nickname></Identity></StudentRecord>"
    )
    with pytest.raises(ValidationError) as caught:
        record_from_xml(element)
    assert [(issue.code, issue.location) for issue in caught.value.issues] == [
        (IssueCode.STRUCTURE, "/StudentRecord/Identity/FirstName"),
        (IssueCode.STRUCTURE, "/StudentRecord/Identity/Nickname"),
    ]


def test_model_errors_are_located_by_xpath() -> None:
    element = etree.fromstring(
        f'<StudentRecord xmlns="{NAMESPACE}"><StudentId><State>TX</State></StudentId>'
        "<Enrollments><Enrollment><RecordId>001</RecordId><EnrollmentDate>2024-08-26"
        "</EnrollmentDate></Enrollment><Enrollment><RecordId>002</RecordId>"
        "<EnrollmentDate>2024-02-30</EnrollmentDate></Enrollment></Enrollments></StudentRecord>"
    )
    with pytest.raises(ValidationError) as caught:
        record_from_xml(element)
    assert [(issue.code, issue.location) for issue in caught.value.issues] == [
        (IssueCode.REQUIRED, "/StudentRecord/StudentId/Value"),
        (IssueCode.VALUE, "/StudentRecord/Enrollments/Enrollment[2]/EnrollmentDate"),
    ]


def test_batch_issues_name_their_record() -> None:
    # 24:00:00 is a valid xs:dateTime but not a Python datetime, so only the model refuses it.
    good = StudentRecord(student_id=StudentId(state="TX", value="1"))
    document = records_to_bytes([good, good]).replace(
        b"<Action>I</Action>\n  </StudentRecord>\n</EducationRecords>",
        b"<Action>I</Action>\n<Source><Kind>file</Kind><Name>f</Name>"
        b"<ReceivedAt>2025-01-01T24:00:00Z</ReceivedAt></Source></StudentRecord></EducationRecords>",
    )
    with pytest.raises(ValidationError) as caught:
        records_from_bytes(document, MAX_BYTES)
    assert [issue.location for issue in caught.value.issues] == [
        "/EducationRecords/StudentRecord[2]/Source/ReceivedAt"
    ]


def test_wrong_root_is_refused_by_record_from_xml() -> None:
    with pytest.raises(ValidationError):
        record_from_xml(etree.fromstring(f'<EducationRecords xmlns="{NAMESPACE}"/>'))


def xsd_check(model: type[BaseModel], type_name: str, problems: list[str]) -> None:
    """Compare one model class with the XSD complex type of the same name, then recurse."""
    complex_type: Any = education_schema().types[type_name]
    content = complex_type.content
    declared: dict[str, Any] = {child.local_name: child for child in content.iter_elements()}
    expected = [element_name(name) for name in model.model_fields]
    if list(declared) != expected:
        problems.append(f"{type_name}: XSD has {list(declared)}, model needs {expected}")
        return
    for name, field in model.model_fields.items():
        child = declared[element_name(name)]
        where = f"{type_name}.{child.local_name}"
        if (child.min_occurs == 1) != field.is_required():
            problems.append(f"{where}: minOccurs {child.min_occurs} disagrees with the model")
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("codeset") != child.elem.get("{urn:msix:mde}codeset"):
            problems.append(f"{where}: mde:codeset is not {extra.get('codeset')}")
        max_length = getattr(child.type, "max_length", None)
        if extra.get("kind") == "A" and max_length != extra.get("length"):
            problems.append(f"{where}: maxLength {max_length} is not {extra.get('length')}")
        annotation, _ = without_none(field.annotation)
        if getattr(annotation, "__origin__", None) is list:
            (item,) = annotation.__args__
            rows = [(row.local_name, row.type.local_name) for row in child.type.content]
            if rows != [(item.__name__, item.__name__)]:
                problems.append(f"{where}: wrapper holds {rows}, not one {item.__name__}")
            xsd_check(item, item.__name__, problems)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if child.type.local_name != annotation.__name__:
                problems.append(
                    f"{where}: type {child.type.local_name} is not {annotation.__name__}"
                )
            xsd_check(annotation, annotation.__name__, problems)


def test_xsd_declares_every_model_field_with_its_metadata() -> None:
    problems: list[str] = []
    xsd_check(StudentRecord, "StudentRecord", problems)
    assert problems == []


@pytest.mark.parametrize(
    "example", sorted((EXAMPLES / "invalid").glob("*.xml")), ids=lambda p: p.name
)
def test_the_schema_ingest_compiles_refuses_what_xmlschema_refuses(example: Path) -> None:
    # Ingest checks the records it encodes with libxml2 (`record_schema_issues`); the doors
    # check inbound documents with xmlschema. Valid records: the round-trip property above.
    root = parse_xml(example.read_bytes(), max_bytes=MAX_BYTES)
    refused_by_xmlschema = validate(education_schema(), root) != []
    assert _compiled_schema().validate(root) is not refused_by_xmlschema


def test_schema_issues_of_a_record_are_located_by_its_model_path() -> None:
    sound = StudentRecord(
        student_id=StudentId(state="TX", value="1"),
        courses=[Course(record_id="001", title="Algebra I"), Course(record_id="002", title="Art")],
    )
    assert record_schema_issues(sound, "record[3]") == []

    # Built past the model's checks, as a reader bug or a future model change could.
    lowercase = sound.model_copy(
        update={"student_id": StudentId.model_construct(state="tx", value="1")}
    )
    (issue,) = record_schema_issues(lowercase, "record[3]")
    assert (issue.location, issue.rule) == ("record[3].student_id.state", "education-record.xsd")
    assert "'tx'" in issue.message
    assert "{urn:" not in issue.message

    unsendable = sound.model_copy(
        update={
            "courses": [sound.courses[0], sound.courses[1].model_copy(update={"title": "A\x01rt"})]
        }
    )
    (issue,) = record_schema_issues(unsendable, "record[3]")
    assert (issue.location, issue.rule) == ("record[3].courses[1].title", "xml-chars")

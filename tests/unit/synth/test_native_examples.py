"""The golden inputs in mappings/<st>/examples are what the writers make of three known children.

basic.<ext> holds the three example children below in each sample state's native format; the
expected canonical output of a mapping is these records less what the format cannot carry
(mappings/<st>/README.md). bad.<ext> holds the same children with one deliberate fault each.
After a deliberate format change, regenerate the basic files with
`python -m tests.unit.synth.test_native_examples` and review the diff.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.errors import Severity, ValidationError
from hub.messages.education_xml import education_schema, record_from_xml
from hub.messages.safe_xml import load_schema, parse_xml, safe_xslt, validate
from hub.model import (
    Action,
    Assessment,
    Condition,
    Course,
    Enrollment,
    Identity,
    Immunization,
    Parent,
    QualifyingMove,
    StudentId,
    StudentRecord,
    check_record,
)
from hub.synth.native import SAMPLE_STATES, open_state_file

ROOT = Path(__file__).resolve().parents[3]
MAPPINGS = ROOT / "mappings"
EXTENSIONS = {"CA": "xml", "FL": "dat", "TX": "txt", "WA": "jsonl"}
# (town, FIPS, area code, state assessment, first digits of the state's ids)
PLACES = {
    "CA": ("Salinas", "06", "831", "CAASPP", "30"),
    "FL": ("Immokalee", "12", "239", "FAST", "FL10"),
    "TX": ("Weslaco", "48", "956", "STAAR", "20"),
    "WA": ("Yakima", "53", "509", "SBA", "40"),
}
# Judged as of the day the examples were written, so the rules never see a future date.
AS_OF = date(2026, 11, 28)


def _ids(state: str, serial: int) -> str:
    # FL ids carry the state's letters, as in the generator: FL + 10 digits; others 10 digits.
    return f"{PLACES[state][4]}{serial:08d}"


def _school(state: str, level: str) -> tuple[str, str, str, str]:
    """(school id, school name, district id, district name) in the state's example town."""
    town, fips, *_ = PLACES[state]
    district = f"{fips}00042"
    if level == "elementary":
        return f"{district}00011", "César Chávez Elementary School", district, f"{town} District"
    return f"{district}00031", f"{town} High School", district, f"{town} District"


def jose(state: str) -> StudentRecord:
    """Two surnames with a particle, accents everywhere, two enrollments, a chronic condition."""
    town, _, area, assessment, _ = PLACES[state]
    school_id, school_name, district, district_name = _school(state, "elementary")
    flags = {"lep": True, "iep": False, "immunization_record_flag": True, "pfs": True}
    return StudentRecord(
        student_id=StudentId(state=state, value=_ids(state, 101), id_type="01"),
        identity=Identity(
            first_name="José",
            middle_name="Ángel",
            last_name_1="de la Cruz",
            last_name_2="Hernández",
            sex="Male",
            birth_date=date(2014, 3, 5),
            multiple_birth=False,
            birth_city="Oaxaca de Juárez",
            birth_country="MEX",
            birth_date_verification="1008",
            parents=[
                Parent(
                    first_name="María",
                    last_name="Hernández Ruiz",
                    email="maria.hernandez@example.com",
                    phone=f"{area}5550101",
                ),
                Parent(first_name="Juan", last_name="de la Cruz"),
            ],
        ),
        moves=[
            QualifyingMove(
                qualifying_arrival_date=date(2023, 10, 2),
                from_city="Oaxaca de Juárez",
                from_country="MEX",
                to_city=town,
                to_state=state,
                eligibility_expiration_date=date(2026, 10, 2),
            )
        ],
        enrollments=[
            Enrollment(
                record_id="001",
                enrollment_date=date(2023, 10, 4),
                enrollment_type="05",
                school_or_project_name=school_name,
                school_id=school_id,
                district_id=district,
                district_name=district_name,
                grade_level="03",
                medical_alert="Chronic",
                withdrawal_date=date(2024, 5, 24),
                district_of_residence=district,
                residency_date=date(2023, 10, 2),
                residency_verification_date=date(2023, 12, 1),
                **flags,
            ),
            Enrollment(
                record_id="002",
                enrollment_date=date(2024, 6, 26),
                enrollment_type="03",
                school_or_project_name=f"{town} Migrant Summer School",
                mep_project_type="01",
                school_id=school_id,
                district_id=district,
                district_name=district_name,
                grade_level="03",
                medical_alert="Chronic",
                withdrawal_date=date(2024, 7, 19),
                district_of_residence=district,
                residency_date=date(2023, 10, 2),
                **flags,
            ),
        ],
        assessments=[
            Assessment(
                record_id="001",
                title=f"{assessment} Grade 3 Reading",
                content="Reading",
                assessment_type="09",
                administration_date="2024-04",
                reporting_method="SS",
                score_results="1562",
                interpretation="Basic",
            )
        ],
        immunizations=[
            Immunization(
                record_id="001", cvx="03", occurrence_date=date(2015, 3, 10), dose_number=1
            ),
            Immunization(
                record_id="002", cvx="21", occurrence_date=date(2015, 3, 10), dose_number=1
            ),
            Immunization(
                record_id="003", cvx="03", occurrence_date=date(2018, 9, 3), dose_number=2
            ),
        ],
        conditions=[
            Condition(
                record_id="001",
                code_system="snomed",
                code="195967001",
                display="Asthma",
                onset_date=date(2018, 6, 1),
            )
        ],
    )


def ximena(state: str) -> StudentRecord:
    """A twin in ninth grade: one full and two partial courses, an alternate id, registry doses."""
    town, _, area, _, _ = PLACES[state]
    school_id, school_name, district, district_name = _school(state, "high")
    course = {"begin_year": 2024, "end_year": 2025, "section": "SA", "term_type": "0828"}
    origin = ("Yuma", "AZ") if state == "TX" else ("Eagle Pass", "TX")
    return StudentRecord(
        student_id=StudentId(state=state, value=_ids(state, 202), id_type="01"),
        identity=Identity(
            first_name="Ximena",
            middle_name="Guadalupe",
            last_name_1="Núñez",
            last_name_2="Peña",
            sex="Female",
            birth_date=date(2009, 11, 21),
            multiple_birth=True,
            birth_city=town,
            birth_state=state,
            birth_country="USA",
            birth_date_verification="1004",
            parents=[
                Parent(first_name="Rosa", last_name="Peña Ávila", phone=f"{area}5550177"),
            ],
            alternate_ids=[StudentId(state=state, value=_ids(state, 909), id_type="02")],
        ),
        moves=[
            QualifyingMove(
                qualifying_arrival_date=date(2024, 8, 12),
                from_city=origin[0],
                from_state=origin[1],
                from_country="USA",
                to_city=town,
                to_state=state,
                eligibility_expiration_date=date(2027, 8, 12),
            )
        ],
        enrollments=[
            Enrollment(
                record_id="001",
                enrollment_date=date(2024, 8, 19),
                enrollment_type="01",
                school_or_project_name=school_name,
                school_id=school_id,
                district_id=district,
                district_name=district_name,
                grade_level="09",
                lep=False,
                iep=False,
                immunization_record_flag=True,
                medical_alert="None",
                pfs=False,
                withdrawal_date=date(2024, 12, 13),
                district_of_residence=district,
                residency_date=date(2024, 8, 12),
            )
        ],
        courses=[
            Course(
                record_id="001",
                title="English I",
                subject_area="English Language and Literature",
                course_type="HN",
                credits_granted=Decimal("0.50"),
                final_grade="A-",
                **course,
            ),
            Course(
                record_id="002",
                title="Algebra I",
                subject_area="Mathematics",
                course_type="RG",
                clock_hours=Decimal("58.5"),
                grade_to_date="B+",
                **course,
            ),
            Course(
                record_id="003",
                title="Biology",
                subject_area="Life and Physical Sciences",
                course_type="RG",
                clock_hours=Decimal("40.5"),
                grade_to_date="87",
                credits_granted=Decimal("0.25"),
                **course,
            ),
        ],
        immunizations=[
            Immunization(
                record_id="001",
                cvx="115",
                occurrence_date=date(2021, 1, 15),
                dose_number=1,
                primary_source=True,
            ),
            Immunization(
                record_id="002",
                cvx="114",
                occurrence_date=date(2021, 1, 15),
                dose_number=1,
                primary_source=True,
            ),
        ],
    )


def francois(state: str) -> StudentRecord:
    """An update of a child the hub already knows (MSIX ID), residency only, with a suffix."""
    town, _, _, _, _ = PLACES[state]
    _, _, district, district_name = _school(state, "elementary")
    return StudentRecord(
        student_id=StudentId(state=state, value=_ids(state, 303), id_type="01"),
        action=Action.UPDATE,
        msix_id="000412345678",
        identity=Identity(
            first_name="François",
            last_name_1="Pierre-Louis",
            suffix="Jr.",
            sex="Male",
            birth_date=date(2011, 7, 14),
            multiple_birth=False,
            birth_city="Les Cayes",
            birth_country="HTI",
            birth_date_verification="1008",
            parents=[Parent(first_name="Roselène", last_name="Pierre-Louis")],
        ),
        moves=[
            QualifyingMove(
                qualifying_arrival_date=date(2022, 5, 16),
                from_city="Les Cayes",
                from_country="HTI",
                to_city=town,
                to_state=state,
                eligibility_expiration_date=date(2025, 5, 16),
            )
        ],
        enrollments=[
            Enrollment(
                record_id="001",
                enrollment_date=date(2022, 5, 16),
                enrollment_type="06",
                district_id=district,
                district_name=district_name,
                immunization_record_flag=False,
                medical_alert="None",
                withdrawal_date=date(2022, 8, 31),
                district_of_residence=district,
                residency_date=date(2022, 5, 16),
            )
        ],
    )


def example_records(state: str) -> list[StudentRecord]:
    return [jose(state), ximena(state), francois(state)]


def example_path(state: str, name: str) -> Path:
    return MAPPINGS / state.lower() / "examples" / f"{name}.{EXTENSIONS[state]}"


def render_basic(state: str, path: Path) -> None:
    with open_state_file(state, path) as out:
        for record in example_records(state):
            out.write(record)


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_example_children_pass_every_model_rule(state: str) -> None:
    for record in example_records(state):
        assert [i for i in check_record(record, today=AS_OF) if i.severity is Severity.ERROR] == []


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_basic_example_is_what_the_writer_makes_of_the_example_children(
    state: str, tmp_path: Path
) -> None:
    rendered = tmp_path / f"basic.{EXTENSIONS[state]}"
    render_basic(state, rendered)

    assert rendered.read_bytes() == example_path(state, "basic").read_bytes()


# Lines that differ between basic and bad: one per child, except FL's missing key, which
# blanks the id on all four of François's records.
BAD_LINES = {"CA": 3, "FL": 6, "TX": 3, "WA": 3}


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_bad_example_is_the_basic_one_with_one_fault_per_child(state: str) -> None:
    basic = example_path(state, "basic").read_bytes().splitlines()
    bad = example_path(state, "bad").read_bytes().splitlines()

    assert len(bad) == len(basic)
    changed = [number for number, (a, b) in enumerate(zip(basic, bad, strict=True)) if a != b]
    assert len(changed) == BAD_LINES[state]


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_readme_describes_each_bad_record(state: str) -> None:
    readme = (MAPPINGS / state.lower() / "README.md").read_text(encoding="utf-8")

    assert "examples/bad." in readme
    for child in ("José", "Ximena", "François"):
        assert child in readme


def test_ca_basic_example_becomes_the_example_children_less_their_conditions() -> None:
    transform = safe_xslt(ROOT / "transforms" / "ca-to-education-record.xsl")
    document = parse_xml(example_path("CA", "basic").read_bytes(), max_bytes=1 << 20)
    assert validate(load_schema("state-format.xsd", root=MAPPINGS / "ca"), document) == []

    records = []
    for student in document.iterchildren("Student"):
        canonical = transform(student).getroot()
        assert validate(education_schema(), canonical) == []
        records.append(record_from_xml(canonical))

    assert records == [r.model_copy(update={"conditions": []}) for r in example_records("CA")]
    assert records[0].identity.birth_city == "Oaxaca de Juárez"


def test_ca_bad_example_fails_each_child_where_its_fault_is() -> None:
    transform = safe_xslt(ROOT / "transforms" / "ca-to-education-record.xsl")
    document = parse_xml(example_path("CA", "bad").read_bytes(), max_bytes=1 << 20)
    state_issues = validate(load_schema("state-format.xsd", root=MAPPINGS / "ca"), document)
    assert {issue.location.split("/")[2] for issue in state_issues if issue.location} == {
        "Student[1]",
        "Student[2]",
        "Student[3]",
    }

    students = [transform(student).getroot() for student in document.iterchildren("Student")]
    # 1: "05-MRZ-14" has no month the stylesheet knows, so it passes through for the schema.
    assert {i.location for i in validate(education_schema(), students[0])} == {
        "/StudentRecord/Identity/BirthDate"
    }
    with pytest.raises(ValidationError):
        record_from_xml(students[0])
    # 2: gender W is well formed; only the code set refuses it.
    assert validate(education_schema(), students[1]) == []
    issues = check_record(record_from_xml(students[1]), today=AS_OF)
    assert [(i.location, i.rule) for i in issues] == [("identity.sex", "mde.code")]
    # 3: an empty SSID leaves the record without its key.
    assert [i.location for i in validate(education_schema(), students[2])] == [
        "/StudentRecord/StudentId/Value"
    ]
    issues = check_record(record_from_xml(students[2]), today=AS_OF)
    assert [i.rule for i in issues] == ["mde.key-required"]


def main() -> None:  # pragma: no cover - regenerates the basic examples after a format change
    for state in SAMPLE_STATES:
        path = example_path(state, "basic")
        path.parent.mkdir(parents=True, exist_ok=True)
        render_basic(state, path)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":  # pragma: no cover
    main()

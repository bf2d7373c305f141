"""WA JSON lines: nested objects with immunizations, from which every record comes back."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.model import Enrollment, StudentId, StudentRecord
from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, native_file_name, write_native
from hub.synth.native._values import excel_serial
from hub.synth.native._wa import document

SEED, CHILDREN = 17, 400
GENDER = {"male": "Male", "female": "Female", "other": "Other"}
EXCEL_EPOCH = date(1899, 12, 30)


@pytest.fixture(scope="module")
def wa_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("native")
    write_native(out, seed=SEED, count=CHILDREN)
    return out / native_file_name("WA")


def _canonical() -> list[StudentRecord]:
    return [
        emitted.record
        for child in iter_children(SEED, CHILDREN, states=SAMPLE_STATES)
        for emitted in child.records
        if emitted.record.student_id.state == "WA"
    ]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _part(obj: dict[str, Any] | None, key: str) -> Any:
    return None if obj is None else obj[key]


def _decimal(number: float | None) -> Decimal | None:
    return None if number is None else Decimal(str(number))


def _grade(grade: int | str | None) -> str | None:
    if isinstance(grade, int):
        return "KG" if grade == 0 else f"{grade:02d}"
    return grade


def to_record(doc: dict[str, Any]) -> StudentRecord:
    """The canonical record of one WA line, as a mapping following the README would build it."""
    name, place = doc["name"], doc["birthPlace"]
    family = [*doc["name"]["family"], None, None]
    serial = doc["birthDateSerial"]
    return StudentRecord.model_validate(
        {
            "student_id": {
                "state": "WA",
                "value": doc["studentId"],
                "id_type": doc["studentIdType"],
            },
            "action": doc["action"],
            "msix_id": doc["msixId"],
            "identity": {
                "first_name": name["given"],
                "middle_name": name["middle"],
                "last_name_1": family[0],
                "last_name_2": family[1],
                "suffix": name["suffix"],
                "sex": GENDER.get(doc["gender"], doc["gender"]),
                "birth_date": None if serial is None else EXCEL_EPOCH + timedelta(days=serial),
                "multiple_birth": doc["multipleBirth"],
                "birth_city": _part(place, "city"),
                "birth_state": _part(place, "state"),
                "birth_country": _part(place, "country"),
                "birth_date_verification": doc["birthDateVerification"],
                "parents": [
                    {
                        "first_name": g["firstName"],
                        "last_name": g["lastName"],
                        "email": g["email"],
                        "phone": g["phone"],
                    }
                    for g in doc["guardians"]
                ],
                "alternate_ids": [
                    {"state": "WA", "value": o["id"], "id_type": o["type"]} for o in doc["otherIds"]
                ],
            },
            "moves": [
                {
                    "qualifying_arrival_date": m["arrivalDate"],
                    "from_city": _part(m["from"], "city"),
                    "from_state": _part(m["from"], "state"),
                    "from_country": _part(m["from"], "country"),
                    "to_city": _part(m["to"], "city"),
                    "to_state": _part(m["to"], "state"),
                    "eligibility_expiration_date": m["eligibilityExpires"],
                    "last_qualifying_move_date": m["lastQualifyingMove"],
                }
                for m in doc["qualifyingMoves"]
            ],
            "enrollments": [_enrollment(e) for e in doc["enrollments"]],
            "assessments": [
                {
                    "record_id": a["recordId"],
                    "title": a["title"],
                    "content": a["content"],
                    "assessment_type": a["type"],
                    "administration_date": a["administered"],
                    "reporting_method": a["reportingMethod"],
                    "score_results": a["score"],
                    "interpretation": a["interpretation"],
                }
                for a in doc["assessments"]
            ],
            "courses": [
                {
                    "record_id": c["recordId"],
                    "title": c["title"],
                    "subject_area": c["subjectArea"],
                    "course_type": c["courseType"],
                    "begin_year": _part(c["schoolYear"], "begin"),
                    "end_year": _part(c["schoolYear"], "end"),
                    "section": c["section"],
                    "term_type": c["termType"],
                    "clock_hours": _decimal(c["clockHours"]),
                    "grade_to_date": c["gradeToDate"],
                    "credits_granted": _decimal(c["credits"]),
                    "final_grade": c["finalGrade"],
                }
                for c in doc["courses"]
            ],
            "immunizations": [
                {
                    "record_id": i["recordId"],
                    "cvx": str(i["cvx"]).zfill(2),
                    "occurrence_date": i["date"],
                    "dose_number": i["doseNumber"],
                    "status": i["status"],
                    "primary_source": i["primarySource"],
                }
                for i in doc["immunizations"]
            ],
            "conditions": [
                {
                    "record_id": c["recordId"],
                    "code_system": c["system"],
                    "code": c["code"],
                    "display": c["display"],
                    "category": c["category"],
                    "clinical_status": c["clinicalStatus"],
                    "verification_status": c["verificationStatus"],
                    "onset_date": c["onset"],
                    "abatement_date": c["abatement"],
                }
                for c in doc["conditions"]
            ],
        }
    )


def _enrollment(e: dict[str, Any]) -> dict[str, Any]:
    school, facility, graduation = e["school"], e["facility"], e["graduation"]
    return {
        "record_id": e["recordId"],
        "enrollment_date": e["entryDate"],
        "withdrawal_date": e["exitDate"],
        "enrollment_type": e["enrollmentType"],
        "school_or_project_name": _part(school, "name"),
        "school_id": _part(school, "ncesId"),
        "mep_project_type": _part(school, "mepProjectType"),
        "facility_name": _part(facility, "name"),
        "facility_address_1": _part(facility, "address1"),
        "facility_address_2": _part(facility, "address2"),
        "facility_address_3": _part(facility, "address3"),
        "facility_city": _part(facility, "city"),
        "facility_state": _part(facility, "state"),
        "facility_zip": _part(facility, "zip"),
        "facility_phone": _part(facility, "phone"),
        "district_id": _part(e["district"], "ncesId"),
        "district_name": _part(e["district"], "name"),
        "district_of_residence": e["residenceDistrict"],
        "grade_level": _grade(e["grade"]),
        "lep": e["englishLearner"],
        "iep": e["iep"],
        "immunization_record_flag": e["immunizationsOnFile"],
        "medical_alert": e["medicalAlert"],
        "pfs": e["priorityForServices"],
        "residency_date": _part(e["residency"], "since"),
        "residency_verification_date": _part(e["residency"], "verified"),
        "designated_graduation_school": _part(graduation, "school"),
        "graduation_hse_indicator": _part(graduation, "type"),
        "graduation_hse_date": _part(graduation, "date"),
        "out_of_state_transcript": e["outOfStateTranscript"],
        "continuation_of_services_reason": e["continuationReason"],
        "algebra_1": e["algebra1"],
        "comment": e["comment"],
    }


def test_every_line_gives_back_its_synthetic_record_exactly(wa_file: Path) -> None:
    records = [to_record(doc) for doc in _lines(wa_file)]
    expected = _canonical()

    assert len(records) == len(expected) > 50
    assert records == expected


def test_lines_are_nested_objects_carrying_immunizations(wa_file: Path) -> None:
    docs = _lines(wa_file)
    with_doses = [doc for doc in docs if doc["immunizations"]]

    assert len(with_doses) > 10
    dose = with_doses[0]["immunizations"][0]
    assert set(dose) == {"recordId", "cvx", "date", "doseNumber", "status", "primarySource"}
    assert all(isinstance(doc["enrollments"], list) for doc in docs)
    assert all(set(doc["name"]) == {"given", "middle", "family", "suffix"} for doc in docs)


def test_every_key_is_present_and_absent_values_are_null(wa_file: Path) -> None:
    docs = _lines(wa_file)

    assert len({tuple(doc) for doc in docs}) == 1
    assert any(doc["msixId"] is None for doc in docs)
    assert any(e["facility"] is None for doc in docs for e in doc["enrollments"])


def test_the_quirks_are_there_serial_birth_dates_numeric_cvx_and_grades(wa_file: Path) -> None:
    raw = wa_file.read_bytes()
    docs = _lines(wa_file)

    assert all(isinstance(doc["birthDateSerial"], int) for doc in docs)
    assert "birthDate" not in docs[0]
    cvx = {i["cvx"] for doc in docs for i in doc["immunizations"]}
    assert 8 in cvx or 3 in cvx  # "08", "03" lost their leading zero
    assert all(isinstance(code, int) for code in cvx)
    grades = {e["grade"] for doc in docs for e in doc["enrollments"]}
    assert 0 in grades
    assert grades <= set(range(13)) | {None}
    assert b"\\u" not in raw  # accents are UTF-8, not escapes
    assert "á".encode() in raw or "é".encode() in raw


def test_excel_serials_are_those_excel_shows() -> None:
    # Excel: =DATE(1900,3,1) is 61 (it counts a 29 February 1900), =DATE(2014,3,5) is 41703.
    assert excel_serial(date(1900, 3, 1)) == 61
    assert excel_serial(date(2014, 3, 5)) == 41703
    assert excel_serial(None) is None


def test_only_kindergarten_is_grade_zero() -> None:
    # Regression: "00" (not in a grade) was written as 0, which is kindergarten.
    grades = ["KG", "01", "12", "13", "00", "PK", "UG", None]
    record = StudentRecord(
        student_id=StudentId(state="WA", value="4000000999"),
        enrollments=[
            Enrollment(record_id=f"{n:03d}", enrollment_date=date(2024, 8, 26), grade_level=g)
            for n, g in enumerate(grades, 1)
        ],
    )
    written = [e["grade"] for e in document(record)["enrollments"]]
    assert written == [0, 1, 12, 13, "00", "PK", "UG", None]

"""WA: JSON lines, one nested object per child, from the state's student API export.

Layout, codes and quirks: mappings/wa/README.md.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import orjson

from hub.model import (
    Assessment,
    Condition,
    Course,
    Enrollment,
    Immunization,
    Parent,
    QualifyingMove,
    StudentId,
    StudentRecord,
)
from hub.synth.native import _values as v
from hub.synth.native._state_file import StateFile

GENDER: Final = {"Male": "male", "Female": "female", "Other": "other"}

_Json = dict[str, Any]


def _or_null(members: _Json) -> _Json | None:
    # The export writes an object whose members would all be null as null.
    return members if any(value is not None for value in members.values()) else None


def _number(value: Decimal | None) -> float | None:
    # A JSON number, as the export's serializer writes it: 0.50 arrives as 0.5.
    return None if value is None else float(value)


def _grade(code: str | None) -> int | str | None:
    # Grades are numbers where they can be: K is 0, "07" is 7; other codes stay text ("PK"), and
    # so does "00" (not in a grade), which as a number would read as kindergarten.
    if code is None:
        return None
    if code == "KG":
        return 0
    return int(code) if code.isdigit() and int(code) > 0 else code


def _cvx(code: str) -> int | str:
    # The vaccine code column is numeric in WA's database, so "08" leaves as 8.
    return int(code) if code.isdigit() else code


def document(record: StudentRecord) -> _Json:
    """The JSON object for `record`; every key is always present, absent values are null."""
    who = record.identity
    family = [who.last_name_1, who.last_name_2]
    while family and family[-1] is None:
        family.pop()
    return {
        "studentId": record.student_id.value,
        "studentIdType": record.student_id.id_type,
        "action": record.action.value,
        "msixId": record.msix_id,
        "name": {
            "given": who.first_name,
            "middle": who.middle_name,
            "family": family,
            "suffix": who.suffix,
        },
        "gender": None if who.sex is None else GENDER.get(who.sex, who.sex),
        # Legacy intake spreadsheet: the birth date travels as an Excel serial day number.
        "birthDateSerial": v.excel_serial(who.birth_date),
        "multipleBirth": who.multiple_birth,
        "birthPlace": _or_null(
            {"city": who.birth_city, "state": who.birth_state, "country": who.birth_country}
        ),
        "birthDateVerification": who.birth_date_verification,
        "guardians": [_guardian(parent) for parent in who.parents],
        "otherIds": [_other_id(other) for other in who.alternate_ids],
        "qualifyingMoves": [_move(move) for move in record.moves],
        "enrollments": [_enrollment(e) for e in record.enrollments],
        "assessments": [_assessment(a) for a in record.assessments],
        "courses": [_course(c) for c in record.courses],
        "immunizations": [_immunization(i) for i in record.immunizations],
        "conditions": [_condition(c) for c in record.conditions],
    }


def _guardian(parent: Parent) -> _Json:
    return {
        "firstName": parent.first_name,
        "lastName": parent.last_name,
        "email": parent.email,
        "phone": parent.phone,
    }


def _other_id(other: StudentId) -> _Json:
    return {"id": other.value, "type": other.id_type}


def _move(move: QualifyingMove) -> _Json:
    return {
        "arrivalDate": v.iso(move.qualifying_arrival_date),
        "from": _or_null(
            {"city": move.from_city, "state": move.from_state, "country": move.from_country}
        ),
        "to": _or_null({"city": move.to_city, "state": move.to_state}),
        "eligibilityExpires": v.iso(move.eligibility_expiration_date),
        "lastQualifyingMove": v.iso(move.last_qualifying_move_date),
    }


def _enrollment(e: Enrollment) -> _Json:
    return {
        "recordId": e.record_id,
        "entryDate": v.iso(e.enrollment_date),
        "exitDate": v.iso(e.withdrawal_date),
        "enrollmentType": e.enrollment_type,
        "school": _or_null(
            {
                "name": e.school_or_project_name,
                "ncesId": e.school_id,
                "mepProjectType": e.mep_project_type,
            }
        ),
        "facility": _or_null(
            {
                "name": e.facility_name,
                "address1": e.facility_address_1,
                "address2": e.facility_address_2,
                "address3": e.facility_address_3,
                "city": e.facility_city,
                "state": e.facility_state,
                "zip": e.facility_zip,
                "phone": e.facility_phone,
            }
        ),
        "district": _or_null({"ncesId": e.district_id, "name": e.district_name}),
        "residenceDistrict": e.district_of_residence,
        "grade": _grade(e.grade_level),
        "englishLearner": e.lep,
        "iep": e.iep,
        "immunizationsOnFile": e.immunization_record_flag,
        "medicalAlert": e.medical_alert,
        "priorityForServices": e.pfs,
        "residency": _or_null(
            {"since": v.iso(e.residency_date), "verified": v.iso(e.residency_verification_date)}
        ),
        "graduation": _or_null(
            {
                "school": e.designated_graduation_school,
                "type": e.graduation_hse_indicator,
                "date": v.iso(e.graduation_hse_date),
            }
        ),
        "outOfStateTranscript": e.out_of_state_transcript,
        "continuationReason": e.continuation_of_services_reason,
        "algebra1": e.algebra_1,
        "comment": e.comment,
    }


def _assessment(a: Assessment) -> _Json:
    return {
        "recordId": a.record_id,
        "title": a.title,
        "content": a.content,
        "type": a.assessment_type,
        "administered": a.administration_date,
        "reportingMethod": a.reporting_method,
        "score": a.score_results,
        "interpretation": a.interpretation,
    }


def _course(c: Course) -> _Json:
    return {
        "recordId": c.record_id,
        "title": c.title,
        "subjectArea": c.subject_area,
        "courseType": c.course_type,
        "schoolYear": _or_null({"begin": c.begin_year, "end": c.end_year}),
        "section": c.section,
        "termType": c.term_type,
        "clockHours": _number(c.clock_hours),
        "gradeToDate": c.grade_to_date,
        "credits": _number(c.credits_granted),
        "finalGrade": c.final_grade,
    }


def _immunization(i: Immunization) -> _Json:
    return {
        "recordId": i.record_id,
        "cvx": _cvx(i.cvx),
        "date": v.iso(i.occurrence_date),
        "doseNumber": i.dose_number,
        "status": i.status,
        "primarySource": i.primary_source,
    }


def _condition(c: Condition) -> _Json:
    return {
        "recordId": c.record_id,
        "system": c.code_system,
        "code": c.code,
        "display": c.display,
        "category": c.category,
        "clinicalStatus": c.clinical_status,
        "verificationStatus": c.verification_status,
        "onset": v.iso(c.onset_date),
        "abatement": v.iso(c.abatement_date),
    }


class WashingtonFile(StateFile):
    """UTF-8 JSON lines, LF line ends, no header or trailer."""

    state = "WA"
    extension = "jsonl"

    def __init__(self, path: Path, submitted_at: datetime) -> None:
        super().__init__(path, submitted_at)
        self._file = path.open("wb")

    def _write(self, record: StudentRecord) -> None:
        self._file.write(orjson.dumps(document(record), option=orjson.OPT_APPEND_NEWLINE))

    def finish(self) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

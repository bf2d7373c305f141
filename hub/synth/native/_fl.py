"""FL: fixed-width cp1252 records, several per child, behind a header whose counts reconcile.

Layout, codes and quirks: mappings/fl/README.md. The layouts below are that layout; a test holds
the README to them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Final

from hub.model import (
    Assessment,
    Condition,
    Course,
    Enrollment,
    Immunization,
    Parent,
    QualifyingMove,
    StudentRecord,
)
from hub.synth.native import _values as v
from hub.synth.native._state_file import StateFile

RECORD_LENGTH: Final = 250
LINE_END: Final = b"\r\n"
ENCODING: Final = "cp1252"


@dataclass(frozen=True, slots=True)
class FixedField:
    """One field: text is left-justified and space-padded; numbers are zero-padded on the left.

    A number with `decimals` has that many implied decimal places (00050 with 2 is 0.50). An
    absent value of either kind is all spaces.
    """

    name: str
    width: int
    numeric: bool = False
    decimals: int = 0


@dataclass(frozen=True, slots=True)
class Layout:
    """The fields of one record type, in order from position 1."""

    record_type: str
    title: str
    fields: tuple[FixedField, ...]

    def positions(self) -> list[tuple[FixedField, int]]:
        """Each field with its 1-based start position."""
        start, placed = 1, []
        for field in self.fields:
            placed.append((field, start))
            start += field.width
        return placed

    @property
    def length(self) -> int:
        return sum(field.width for field in self.fields)


def _text(name: str, width: int) -> FixedField:
    return FixedField(name, width)


def _number(name: str, width: int, decimals: int = 0) -> FixedField:
    return FixedField(name, width, numeric=True, decimals=decimals)


# Every record after the header starts with the same key.
_KEY: Final = (_text("REC_TYPE", 1), _text("STUDENT_ID", 15), _number("SEQ", 3), _text("ACTION", 1))

HEADER: Final = Layout(
    "H",
    "Header (first record of the file)",
    (
        _text("REC_TYPE", 1), _text("STATE", 2), _number("SUBMITTED", 17),
        _number("STUDENT_COUNT", 8), _number("RECORD_COUNT", 9),
        _number("BEGIN_EFF_DATE", 8), _number("END_EFF_DATE", 8),
    ),
)  # fmt: skip
STUDENT: Final = Layout(
    "S",
    "Student (one per child, first of its records)",
    (
        *_KEY,
        _text("ID_TYPE", 2), _text("MSIX_ID", 12), _text("LAST_NAMES", 40),
        _text("FIRST_NAME", 30), _text("MIDDLE_NAME", 30), _text("SUFFIX", 10), _text("SEX", 1),
        _number("BIRTH_DATE", 8), _text("MULTI_BIRTH", 1), _text("BIRTH_CITY", 30),
        _text("BIRTH_STATE", 2), _text("BIRTH_COUNTRY", 3), _text("BIRTH_VERIF", 4),
        _text("ALT_ID", 15), _text("ALT_ID_TYPE", 2),
    ),
)  # fmt: skip
PARENT: Final = Layout(
    "P",
    "Parent or guardian (SEQ 001-002)",
    (
        *_KEY,
        _text("FIRST_NAME", 30), _text("LAST_NAME", 40), _text("EMAIL", 50), _number("PHONE", 10),
    ),
)  # fmt: skip
MOVE: Final = Layout(
    "M",
    "Qualifying move (SEQ numbers the moves, oldest first)",
    (
        *_KEY,
        _number("QAD", 8), _text("FROM_CITY", 30), _text("FROM_STATE", 2),
        _text("FROM_COUNTRY", 3), _text("TO_CITY", 30), _text("TO_STATE", 2),
        _number("ELIG_EXP_DATE", 8), _number("LAST_QM_DATE", 8),
    ),
)  # fmt: skip
ENROLLMENT: Final = Layout(
    "E",
    "Enrollment (SEQ is the record id)",
    (
        *_KEY,
        _number("ENROLL_DATE", 8), _text("ENROLL_TYPE", 2), _text("SCHOOL_NAME", 60),
        _text("MEP_PROJ_TYPE", 2), _text("SCHOOL_ID", 12), _text("DISTRICT_ID", 7),
        _text("DISTRICT_NAME", 60), _text("GRADE", 2), _text("LEP", 1), _text("IEP", 1),
        _text("IMM_FLAG", 1), _text("MED_ALERT", 1), _text("PFS", 1),
        _number("WITHDRAW_DATE", 8), _text("RES_DISTRICT", 7), _number("RES_DATE", 8),
        _number("RES_VERIFY_DATE", 8), _text("GRAD_SCHOOL", 12), _text("GRAD_TYPE", 1),
        _number("GRAD_DATE", 8), _text("OOS_TRANSCRIPT", 1), _text("COS_REASON", 2),
        _text("ALGEBRA_1", 1),
    ),
)  # fmt: skip
ASSESSMENT: Final = Layout(
    "A",
    "Assessment (SEQ is the record id)",
    (
        *_KEY,
        _text("TITLE", 55), _text("CONTENT", 35), _text("ASSESS_TYPE", 2),
        _number("ADMIN_MONTH", 6), _text("METHOD", 4), _text("SCORE", 10),
        _text("INTERPRETATION", 20),
    ),
)  # fmt: skip
COURSE: Final = Layout(
    "C",
    "Course (SEQ is the record id)",
    (
        *_KEY,
        _text("TITLE", 50), _text("SUBJECT", 50), _text("COURSE_TYPE", 2),
        _number("BEGIN_YEAR", 4), _number("END_YEAR", 4), _text("SECTION", 2),
        _text("TERM_TYPE", 4), _number("CLOCK_HOURS", 6, decimals=2),
        _text("GRADE_TO_DATE", 3), _number("CREDITS", 5, decimals=2), _text("FINAL_GRADE", 3),
    ),
)  # fmt: skip
IMMUNIZATION: Final = Layout(
    "I",
    "Immunization (SEQ is the record id)",
    (
        *_KEY,
        _text("CVX", 3), _number("ADMIN_DATE", 8), _number("DOSE", 2), _text("STATUS", 1),
        _text("SOURCE", 1),
    ),
)  # fmt: skip
DIAGNOSIS: Final = Layout(
    "D",
    "Health condition (SEQ is the record id)",
    (
        *_KEY,
        _text("CODE_SYSTEM", 1), _text("CODE", 20), _text("NAME", 60),
        _number("ONSET_DATE", 8), _number("ABATE_DATE", 8),
    ),
)  # fmt: skip
LAYOUTS: Final = (HEADER, STUDENT, PARENT, MOVE, ENROLLMENT, ASSESSMENT, COURSE, IMMUNIZATION,
                  DIAGNOSIS)  # fmt: skip

# ISO/IEC 5218 digits for sex; 9 ("not applicable") is where the state puts the 2023 third value.
SEX: Final = {"Male": "1", "Female": "2", "Other": "9"}
MEDICAL_ALERT: Final = {"Chronic": "C", "Acute": "A", "None": "N"}
GRADUATION: Final = {"Graduation": "G", "HSE": "H"}
IMMUNIZATION_STATUS: Final = {"completed": "C", "entered-in-error": "E", "not-done": "N"}
CODE_SYSTEM: Final = {"snomed": "S", "icd10cm": "I"}
YES, NO = "1", "0"

_Value = str | int | None


def render(layout: Layout, values: Sequence[_Value]) -> bytes:
    """One record of `layout`, padded to `RECORD_LENGTH`, in cp1252 with CR LF.

    Text longer than its field is cut; a character cp1252 lacks becomes "?"; line breaks inside
    text become spaces (they would end the record). A number too wide for its field is an error.
    """
    if len(values) != len(layout.fields):
        raise ValueError(f"{layout.record_type}: {len(values)} values, {len(layout.fields)} fields")
    parts: list[str] = []
    for field, value in zip(layout.fields, values, strict=True):
        if value is None or value == "":
            parts.append(" " * field.width)
        elif field.numeric:
            digits = f"{int(value):0{field.width}d}"
            if len(digits) > field.width:
                raise ValueError(f"{layout.record_type}.{field.name}: {value} is too wide")
            parts.append(digits)
        else:
            flat = str(value).replace("\r", " ").replace("\n", " ")
            parts.append(flat[: field.width].ljust(field.width))
    return "".join(parts).ljust(RECORD_LENGTH).encode(ENCODING, errors="replace") + LINE_END


def _date(day: date | None) -> int | None:
    return None if day is None else day.year * 10_000 + day.month * 100 + day.day


def _key(layout: Layout, record: StudentRecord, seq: int | str) -> list[_Value]:
    return [layout.record_type, record.student_id.value, int(seq), record.action.value]


def _student(record: StudentRecord) -> list[_Value]:
    who = record.identity
    alternate = who.alternate_ids[0] if who.alternate_ids else None
    # One field for both surnames, as the state's intake form has: "DE LA CRUZ HERNÁNDEZ".
    surnames = " ".join(name for name in (who.last_name_1, who.last_name_2) if name)
    return [
        *_key(STUDENT, record, 0),
        record.student_id.id_type,
        record.msix_id,
        surnames,
        who.first_name,
        who.middle_name,
        who.suffix,
        v.code(SEX, who.sex),
        _date(who.birth_date),
        v.flag(who.multiple_birth, YES, NO),
        who.birth_city,
        who.birth_state,
        who.birth_country,
        who.birth_date_verification,
        None if alternate is None else alternate.value,
        None if alternate is None else alternate.id_type,
    ]


def _parent(record: StudentRecord, seq: int, parent: Parent) -> list[_Value]:
    # PHONE is N10: a phone with anything but digits (which the model rules reject) has no place.
    phone = parent.phone if parent.phone and parent.phone.isdigit() else None
    return [*_key(PARENT, record, seq), parent.first_name, parent.last_name, parent.email, phone]


def _move(record: StudentRecord, seq: int, move: QualifyingMove) -> list[_Value]:
    return [
        *_key(MOVE, record, seq),
        _date(move.qualifying_arrival_date),
        move.from_city,
        move.from_state,
        move.from_country,
        move.to_city,
        move.to_state,
        _date(move.eligibility_expiration_date),
        _date(move.last_qualifying_move_date),
    ]


def _enrollment(record: StudentRecord, e: Enrollment) -> list[_Value]:
    return [
        *_key(ENROLLMENT, record, e.record_id),
        _date(e.enrollment_date),
        e.enrollment_type,
        e.school_or_project_name,
        e.mep_project_type,
        e.school_id,
        e.district_id,
        e.district_name,
        e.grade_level,
        v.flag(e.lep, YES, NO),
        v.flag(e.iep, YES, NO),
        v.flag(e.immunization_record_flag, YES, NO),
        v.code(MEDICAL_ALERT, e.medical_alert),
        v.flag(e.pfs, YES, NO),
        _date(e.withdrawal_date),
        e.district_of_residence,
        _date(e.residency_date),
        _date(e.residency_verification_date),
        e.designated_graduation_school,
        v.code(GRADUATION, e.graduation_hse_indicator),
        _date(e.graduation_hse_date),
        v.flag(e.out_of_state_transcript, YES, NO),
        e.continuation_of_services_reason,
        v.flag(e.algebra_1, YES, NO),
    ]


def _assessment(record: StudentRecord, a: Assessment) -> list[_Value]:
    return [
        *_key(ASSESSMENT, record, a.record_id),
        a.title,
        a.content,
        a.assessment_type,
        v.month_year(a.administration_date),
        a.reporting_method,
        a.score_results,
        a.interpretation,
    ]


def _course(record: StudentRecord, c: Course) -> list[_Value]:
    return [
        *_key(COURSE, record, c.record_id),
        c.title,
        c.subject_area,
        c.course_type,
        c.begin_year,
        c.end_year,
        c.section,
        c.term_type,
        v.hundredths(c.clock_hours),
        c.grade_to_date,
        v.hundredths(c.credits_granted),
        c.final_grade,
    ]


def _immunization(record: StudentRecord, i: Immunization) -> list[_Value]:
    return [
        *_key(IMMUNIZATION, record, i.record_id),
        i.cvx,
        _date(i.occurrence_date),
        i.dose_number,
        v.code(IMMUNIZATION_STATUS, i.status),
        "P" if i.primary_source else "H",
    ]


def _diagnosis(record: StudentRecord, c: Condition) -> list[_Value]:
    return [
        *_key(DIAGNOSIS, record, c.record_id),
        v.code(CODE_SYSTEM, c.code_system),
        c.code,
        c.display,
        _date(c.onset_date),
        _date(c.abatement_date),
    ]


def records(record: StudentRecord) -> list[bytes]:
    """The child's records in file order: S, P, M, E, A, C, I, D."""
    lines = [render(STUDENT, _student(record))]
    lines += [
        render(PARENT, _parent(record, n, p)) for n, p in enumerate(record.identity.parents, 1)
    ]
    lines += [render(MOVE, _move(record, n, m)) for n, m in enumerate(record.moves, 1)]
    lines += [render(ENROLLMENT, _enrollment(record, e)) for e in record.enrollments]
    lines += [render(ASSESSMENT, _assessment(record, a)) for a in record.assessments]
    lines += [render(COURSE, _course(record, c)) for c in record.courses]
    lines += [render(IMMUNIZATION, _immunization(record, i)) for i in record.immunizations]
    lines += [render(DIAGNOSIS, _diagnosis(record, c)) for c in record.conditions]
    return lines


class FloridaFile(StateFile):
    """The body goes to an anonymous temporary file; the header, whose counts are known only at
    the end, is written first when the file is finished, then the body is copied after it."""

    state = "FL"
    extension = "dat"

    def __init__(self, path: Path, submitted_at: datetime) -> None:
        super().__init__(path, submitted_at)
        self._body: IO[bytes] = tempfile.TemporaryFile(dir=path.parent)  # noqa: SIM115
        self._lines = 0
        self._earliest: date | None = None

    def _write(self, record: StudentRecord) -> None:
        lines = records(record)
        self._body.writelines(lines)
        self._lines += len(lines)
        starts = [m.qualifying_arrival_date for m in record.moves]
        starts += [e.enrollment_date for e in record.enrollments]
        if starts and (self._earliest is None or min(starts) < self._earliest):
            self._earliest = min(starts)

    def header(self) -> bytes:
        stamp = self.submitted_at
        end = stamp.date()
        # The records take effect from the earliest arrival or enrollment they report; the end
        # must fall after the beginning (DOMAIN §4), so an empty file spans one day.
        begin = min(self._earliest or end, end - timedelta(days=1))
        submitted = int(stamp.strftime("%Y%m%d%H%M%S") + f"{stamp.microsecond // 1000:03d}")
        return render(
            HEADER,
            ["H", self.state, submitted, self.records, self._lines, _date(begin), _date(end)],
        )

    def finish(self) -> None:
        try:
            self._body.seek(0)
            with self.path.open("wb") as out:
                out.write(self.header())
                shutil.copyfileobj(self._body, out, 1024 * 1024)
        finally:
            self._body.close()

    def abort(self) -> None:
        self._body.close()

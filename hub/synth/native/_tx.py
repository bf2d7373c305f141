"""TX: one pipe-delimited row per child, repeated groups as numbered column sets.

Layout, codes and quirks: mappings/tx/README.md. The column names below are that layout; a test
holds the README to them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from hub.model import (
    Assessment,
    Course,
    Enrollment,
    Immunization,
    Parent,
    QualifyingMove,
    StudentRecord,
)
from hub.synth.native import _values as v
from hub.synth.native._state_file import StateFile

STUDENT_FIELDS: Final = (
    "ACTION", "STUDENT_ID", "STUDENT_ID_TYPE", "MSIX_ID", "ALT_ID", "ALT_ID_TYPE",
    "FIRST_NAME", "MIDDLE_NAME", "LAST_NAME", "SECOND_LAST_NAME", "GENERATION", "SEX", "DOB",
    "MULTIPLE_BIRTH", "BIRTH_CITY", "BIRTH_STATE", "BIRTH_COUNTRY", "DOB_VERIFICATION",
)  # fmt: skip
PARENT_FIELDS: Final = ("FIRST", "LAST", "EMAIL", "PHONE")
MOVE_FIELDS: Final = (
    "QAD", "FROM_CITY", "FROM_STATE", "FROM_COUNTRY", "TO_CITY", "TO_STATE", "ELIG_EXP", "LAST_QM",
)  # fmt: skip
ENROLLMENT_FIELDS: Final = (
    "SEQ", "DATE", "TYPE", "SCHOOL_NAME", "MEP_PROJ_TYPE", "CAMPUS_ID", "DIST_ID", "DIST_NAME",
    "GRADE", "LEP", "IEP", "IMM_FLAG", "MED_ALERT", "PFS", "WD_DATE", "RES_DIST", "RES_DATE",
    "RES_VERIF_DATE", "GRAD_CAMPUS", "GRAD_IND", "GRAD_DATE", "OOS_TRANSCRIPT", "COS_REASON",
    "ALG1", "COMMENT",
)  # fmt: skip
ASSESSMENT_FIELDS: Final = (
    "SEQ", "TITLE", "CONTENT", "TYPE", "ADMIN", "METHOD", "SCORE", "INTERP",
)  # fmt: skip
COURSE_FIELDS: Final = (
    "SEQ", "TITLE", "SUBJECT", "TYPE", "BEGIN_YR", "END_YR", "SECTION", "TERM", "CLOCK_HRS",
    "GRADE_TO_DATE", "CREDITS", "FINAL_GRADE",
)  # fmt: skip
IMMUNIZATION_FIELDS: Final = ("SEQ", "CVX", "DATE", "DOSE")

# (column prefix, how many sets the row holds, fields of one set). A child with more items than
# sets is sent with its most recent ones only: the file has nowhere to put the rest.
GROUPS: Final = (
    ("PAR", 2, PARENT_FIELDS),
    ("QM", 3, MOVE_FIELDS),
    ("ENR", 6, ENROLLMENT_FIELDS),
    ("ASM", 4, ASSESSMENT_FIELDS),
    ("CRS", 12, COURSE_FIELDS),
    ("IMM", 12, IMMUNIZATION_FIELDS),
)
COLUMNS: Final = STUDENT_FIELDS + tuple(
    f"{prefix}{number}_{field}"
    for prefix, sets, fields in GROUPS
    for number in range(1, sets + 1)
    for field in fields
)
TRAILER: Final = "TRL"

SEX: Final = {"Male": "M", "Female": "F", "Other": "X"}
GRADES: Final = {"KG": "K"} | {f"{grade:02d}": str(grade) for grade in range(1, 13)}
YES, NO = "Y", "N"

_Render = Callable[[Any], tuple[str, ...]]


def _phone(digits: str | None) -> str:
    # Keyed in as (956) 555-0134: the mapping keeps the digits.
    if digits is None:
        return ""
    if len(digits) != 10:
        return digits
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _student(record: StudentRecord) -> tuple[str, ...]:
    who = record.identity
    alternate = who.alternate_ids[0] if who.alternate_ids else None
    return (
        record.action.value,
        record.student_id.value,
        v.text(record.student_id.id_type),
        v.text(record.msix_id),
        "" if alternate is None else alternate.value,
        "" if alternate is None else v.text(alternate.id_type),
        v.text(who.first_name),
        v.text(who.middle_name),
        v.text(who.last_name_1),
        v.text(who.last_name_2),
        v.text(who.suffix),
        v.code(SEX, who.sex),
        v.mdy(who.birth_date),
        v.flag(who.multiple_birth, YES, NO),
        v.text(who.birth_city),
        v.text(who.birth_state),
        v.text(who.birth_country),
        v.text(who.birth_date_verification),
    )


def _parent(parent: Parent) -> tuple[str, ...]:
    return (
        v.text(parent.first_name),
        v.text(parent.last_name),
        v.text(parent.email),
        _phone(parent.phone),
    )


def _move(move: QualifyingMove) -> tuple[str, ...]:
    return (
        v.mdy(move.qualifying_arrival_date),
        v.text(move.from_city),
        v.text(move.from_state),
        v.text(move.from_country),
        v.text(move.to_city),
        v.text(move.to_state),
        v.mdy(move.eligibility_expiration_date),
        v.mdy(move.last_qualifying_move_date),
    )


def _enrollment(enrollment: Enrollment) -> tuple[str, ...]:
    e = enrollment
    return (
        e.record_id,
        v.mdy(e.enrollment_date),
        v.text(e.enrollment_type),
        v.text(e.school_or_project_name),
        v.text(e.mep_project_type),
        v.text(e.school_id),
        v.text(e.district_id),
        v.text(e.district_name),
        v.code(GRADES, e.grade_level),
        v.flag(e.lep, YES, NO),
        v.flag(e.iep, YES, NO),
        v.flag(e.immunization_record_flag, YES, NO),
        v.text(e.medical_alert),
        v.flag(e.pfs, YES, NO),
        v.mdy(e.withdrawal_date),
        v.text(e.district_of_residence),
        v.mdy(e.residency_date),
        v.mdy(e.residency_verification_date),
        v.text(e.designated_graduation_school),
        v.text(e.graduation_hse_indicator),
        v.mdy(e.graduation_hse_date),
        v.flag(e.out_of_state_transcript, YES, NO),
        v.text(e.continuation_of_services_reason),
        v.flag(e.algebra_1, YES, NO),
        v.text(e.comment),
    )


def _assessment(assessment: Assessment) -> tuple[str, ...]:
    a = assessment
    return (
        a.record_id,
        a.title,
        v.text(a.content),
        v.text(a.assessment_type),
        v.month_year(a.administration_date),
        v.text(a.reporting_method),
        v.text(a.score_results),
        v.text(a.interpretation),
    )


def _course(course: Course) -> tuple[str, ...]:
    c = course
    return (
        c.record_id,
        c.title,
        v.text(c.subject_area),
        v.text(c.course_type),
        v.text(c.begin_year),
        v.text(c.end_year),
        v.text(c.section),
        v.text(c.term_type),
        v.text(v.decimal(c.clock_hours)),
        v.text(c.grade_to_date),
        v.text(v.decimal(c.credits_granted)),
        v.text(c.final_grade),
    )


def _immunization(immunization: Immunization) -> tuple[str, ...]:
    i = immunization
    return (i.record_id, i.cvx, v.mdy(i.occurrence_date), v.text(i.dose_number))


# What each group of `GROUPS` is made of, in the same order.
_GROUP_ITEMS: Final[tuple[tuple[Callable[[StudentRecord], Sequence[Any]], _Render], ...]] = (
    (lambda record: record.identity.parents, _parent),
    (lambda record: record.moves, _move),
    (lambda record: record.enrollments, _enrollment),
    (lambda record: record.assessments, _assessment),
    (lambda record: record.courses, _course),
    (lambda record: record.immunizations, _immunization),
)


def row(record: StudentRecord) -> list[str]:
    """The record's row, one cell per column of `COLUMNS`."""
    cells = list(_student(record))
    for (_, sets, fields), (items_of, render) in zip(GROUPS, _GROUP_ITEMS, strict=True):
        items = v.most_recent(items_of(record), sets)
        for item in items:
            cells.extend(render(item))
        cells.extend([""] * (len(fields) * (sets - len(items))))
    if len(cells) != len(COLUMNS):
        raise AssertionError(f"{len(cells)} cells for {len(COLUMNS)} columns")
    return cells


class TexasFile(StateFile):
    """Pipe-delimited UTF-8 (with a byte-order mark), a header row and a `TRL|count` trailer."""

    state = "TX"
    extension = "txt"

    def __init__(self, path: Path, submitted_at: datetime) -> None:
        super().__init__(path, submitted_at)
        # Saved from Excel on the state's side: UTF-8 with a byte-order mark, LF line ends.
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._rows = csv.writer(self._file, delimiter="|", lineterminator="\n")
        self._rows.writerow(COLUMNS)

    def _write(self, record: StudentRecord) -> None:
        self._rows.writerow(row(record))

    def finish(self) -> None:
        self._rows.writerow((TRAILER, self.records))
        self._file.close()

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

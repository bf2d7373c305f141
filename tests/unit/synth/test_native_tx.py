"""TX pipe-delimited rows: a reader that follows mappings/tx/README.md gets the records back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hub.model import (
    Assessment,
    Course,
    Enrollment,
    Identity,
    Immunization,
    Parent,
    QualifyingMove,
    StudentId,
    StudentRecord,
)
from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, native_file_name, write_native
from hub.synth.native._tx import COLUMNS, GROUPS, STUDENT_FIELDS

ROOT = Path(__file__).resolve().parents[3]
SEED, CHILDREN = 17, 400
SEX = {"M": "Male", "F": "Female", "X": "Other"}


@pytest.fixture(scope="module")
def tx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("native")
    write_native(out, seed=SEED, count=CHILDREN)
    return out / native_file_name("TX")


def _canonical(state: str) -> list[StudentRecord]:
    return [
        emitted.record
        for child in iter_children(SEED, CHILDREN, states=SAMPLE_STATES)
        for emitted in child.records
        if emitted.record.student_id.state == state
    ]


def _date(text: str) -> date | None:
    return datetime.strptime(text, "%m/%d/%Y").date() if text else None


def _flag(text: str) -> bool | None:
    return {"Y": True, "N": False}.get(text)


def _or_none(text: str) -> str | None:
    return text or None


def _grade(text: str) -> str | None:
    if text == "K":
        return "KG"
    return f"{int(text):02d}" if text.isdigit() else _or_none(text)


def _sets(row: dict[str, str], prefix: str) -> Iterator[dict[str, str]]:
    sets, fields = next((sets, fields) for p, sets, fields in GROUPS if p == prefix)
    for number in range(1, sets + 1):
        cells = {field: row[f"{prefix}{number}_{field}"] for field in fields}
        if any(cells.values()):
            yield cells


def read_tx(path: Path) -> tuple[list[StudentRecord], list[str]]:
    """The records of a TX file, as a mapping following the README would build them."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[:-1])), delimiter="|"))
    return [_record(row) for row in rows], lines[-1].split("|")


def _record(row: dict[str, str]) -> StudentRecord:
    alternate = (
        [StudentId(state="TX", value=row["ALT_ID"], id_type=_or_none(row["ALT_ID_TYPE"]))]
        if row["ALT_ID"]
        else []
    )
    return StudentRecord(
        student_id=StudentId(
            state="TX", value=row["STUDENT_ID"], id_type=_or_none(row["STUDENT_ID_TYPE"])
        ),
        action=row["ACTION"],
        msix_id=_or_none(row["MSIX_ID"]),
        identity=Identity(
            first_name=_or_none(row["FIRST_NAME"]),
            middle_name=_or_none(row["MIDDLE_NAME"]),
            last_name_1=_or_none(row["LAST_NAME"]),
            last_name_2=_or_none(row["SECOND_LAST_NAME"]),
            suffix=_or_none(row["GENERATION"]),
            sex=SEX.get(row["SEX"]),
            birth_date=_date(row["DOB"]),
            multiple_birth=_flag(row["MULTIPLE_BIRTH"]),
            birth_city=_or_none(row["BIRTH_CITY"]),
            birth_state=_or_none(row["BIRTH_STATE"]),
            birth_country=_or_none(row["BIRTH_COUNTRY"]),
            birth_date_verification=_or_none(row["DOB_VERIFICATION"]),
            parents=[
                Parent(
                    first_name=_or_none(p["FIRST"]),
                    last_name=_or_none(p["LAST"]),
                    email=_or_none(p["EMAIL"]),
                    phone="".join(c for c in p["PHONE"] if c.isdigit()) or None,
                )
                for p in _sets(row, "PAR")
            ],
            alternate_ids=alternate,
        ),
        moves=[
            QualifyingMove(
                qualifying_arrival_date=_date(m["QAD"]),
                from_city=_or_none(m["FROM_CITY"]),
                from_state=_or_none(m["FROM_STATE"]),
                from_country=_or_none(m["FROM_COUNTRY"]),
                to_city=_or_none(m["TO_CITY"]),
                to_state=_or_none(m["TO_STATE"]),
                eligibility_expiration_date=_date(m["ELIG_EXP"]),
                last_qualifying_move_date=_date(m["LAST_QM"]),
            )
            for m in _sets(row, "QM")
        ],
        enrollments=[
            Enrollment(
                record_id=e["SEQ"],
                enrollment_date=_date(e["DATE"]),
                enrollment_type=_or_none(e["TYPE"]),
                school_or_project_name=_or_none(e["SCHOOL_NAME"]),
                mep_project_type=_or_none(e["MEP_PROJ_TYPE"]),
                school_id=_or_none(e["CAMPUS_ID"]),
                district_id=_or_none(e["DIST_ID"]),
                district_name=_or_none(e["DIST_NAME"]),
                grade_level=_grade(e["GRADE"]),
                lep=_flag(e["LEP"]),
                iep=_flag(e["IEP"]),
                immunization_record_flag=_flag(e["IMM_FLAG"]),
                medical_alert=_or_none(e["MED_ALERT"]),
                pfs=_flag(e["PFS"]),
                withdrawal_date=_date(e["WD_DATE"]),
                district_of_residence=_or_none(e["RES_DIST"]),
                residency_date=_date(e["RES_DATE"]),
                residency_verification_date=_date(e["RES_VERIF_DATE"]),
                designated_graduation_school=_or_none(e["GRAD_CAMPUS"]),
                graduation_hse_indicator=_or_none(e["GRAD_IND"]),
                graduation_hse_date=_date(e["GRAD_DATE"]),
                out_of_state_transcript=_flag(e["OOS_TRANSCRIPT"]),
                continuation_of_services_reason=_or_none(e["COS_REASON"]),
                algebra_1=_flag(e["ALG1"]),
                comment=_or_none(e["COMMENT"]),
            )
            for e in _sets(row, "ENR")
        ],
        assessments=[
            Assessment(
                record_id=a["SEQ"],
                title=a["TITLE"],
                content=_or_none(a["CONTENT"]),
                assessment_type=_or_none(a["TYPE"]),
                administration_date=f"{a['ADMIN'][2:]}-{a['ADMIN'][:2]}" if a["ADMIN"] else None,
                reporting_method=_or_none(a["METHOD"]),
                score_results=_or_none(a["SCORE"]),
                interpretation=_or_none(a["INTERP"]),
            )
            for a in _sets(row, "ASM")
        ],
        courses=[
            Course(
                record_id=c["SEQ"],
                title=c["TITLE"],
                subject_area=_or_none(c["SUBJECT"]),
                course_type=_or_none(c["TYPE"]),
                begin_year=int(c["BEGIN_YR"]) if c["BEGIN_YR"] else None,
                end_year=int(c["END_YR"]) if c["END_YR"] else None,
                section=_or_none(c["SECTION"]),
                term_type=_or_none(c["TERM"]),
                clock_hours=Decimal(c["CLOCK_HRS"]) if c["CLOCK_HRS"] else None,
                grade_to_date=_or_none(c["GRADE_TO_DATE"]),
                credits_granted=Decimal(c["CREDITS"]) if c["CREDITS"] else None,
                final_grade=_or_none(c["FINAL_GRADE"]),
            )
            for c in _sets(row, "CRS")
        ],
        immunizations=[
            Immunization(
                record_id=i["SEQ"],
                cvx=i["CVX"],
                occurrence_date=_date(i["DATE"]),
                dose_number=int(i["DOSE"]) if i["DOSE"] else None,
            )
            for i in _sets(row, "IMM")
        ],
    )


def tx_view(record: StudentRecord) -> StudentRecord:
    """What TX can carry of `record` (mappings/tx/README.md, "cannot carry")."""
    return record.model_copy(
        update={
            "identity": record.identity.model_copy(
                update={"alternate_ids": record.identity.alternate_ids[:1]}
            ),
            "moves": record.moves[-3:],
            "enrollments": record.enrollments[-6:],
            "assessments": record.assessments[-4:],
            "courses": record.courses[-12:],
            "immunizations": [
                i.model_copy(update={"status": "completed", "primary_source": False})
                for i in record.immunizations[-12:]
            ],
            "conditions": [],
        }
    )


def test_rows_give_back_every_field_tx_carries_of_every_record(tx_file: Path) -> None:
    records, _ = read_tx(tx_file)
    expected = _canonical("TX")

    assert len(records) == len(expected) > 50
    for got, record in zip(records, expected, strict=True):
        assert got == tx_view(record), record.student_id.value
    # The population exercises the group limits, or the comparison above proves little.
    assert any(len(r.enrollments) > 6 for r in expected)
    assert any(len(r.courses) > 12 for r in expected)
    assert any(len(r.immunizations) > 12 for r in expected)


def test_the_file_starts_with_a_byte_order_mark_and_the_header_row(tx_file: Path) -> None:
    data = tx_file.read_bytes()

    assert data.startswith(b"\xef\xbb\xbfACTION|STUDENT_ID|")
    header = data[3:].split(b"\n", 1)[0].decode()
    assert tuple(header.split("|")) == COLUMNS
    assert len(COLUMNS) == 424


def test_the_trailer_counts_the_child_rows(tx_file: Path) -> None:
    records, trailer = read_tx(tx_file)

    assert trailer == ["TRL", str(len(records))]


def test_grades_sex_dates_and_phones_use_the_tx_spellings(tx_file: Path) -> None:
    rows = list(csv.reader(io.StringIO(tx_file.read_text(encoding="utf-8-sig")), delimiter="|"))
    by_name = [dict(zip(rows[0], row, strict=True)) for row in rows[1:-1]]
    grades = {row[f"ENR{n}_GRADE"] for row in by_name for n in range(1, 7)} - {""}
    assert "K" in grades
    assert grades <= {"K"} | {str(grade) for grade in range(1, 13)}
    assert {row["SEX"] for row in by_name} == {"M", "F"}
    assert all(len(row["DOB"]) == 10 and row["DOB"][2] == "/" for row in by_name)
    phones = {row["PAR1_PHONE"] for row in by_name} - {""}
    assert phones
    assert all(phone.startswith("(") and phone[5:7] == " 5" for phone in phones)


def test_readme_documents_every_column() -> None:
    readme = (ROOT / "mappings" / "tx" / "README.md").read_text(encoding="utf-8")

    for field in STUDENT_FIELDS:
        assert f"| {field} |" in readme
    for prefix, sets, fields in GROUPS:
        assert f"| {prefix} | {sets} |" in readme
        for field in fields:
            assert f"| {prefix}n_{field} |" in readme

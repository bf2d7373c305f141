"""FL fixed width: header counts reconcile, cp1252 accents, and a positional reader gets the
records back as mappings/fl/README.md says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hub.model import (
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
)
from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, native_file_name, open_state_file, write_native
from hub.synth.native._fl import LAYOUTS, RECORD_LENGTH, FixedField, Layout, render

ROOT = Path(__file__).resolve().parents[3]
SEED, CHILDREN = 17, 400
LAYOUT = {layout.record_type: layout for layout in LAYOUTS}
SEX = {"1": "Male", "2": "Female", "9": "Other"}
ALERT = {"C": "Chronic", "A": "Acute", "N": "None"}
GRADUATION = {"G": "Graduation", "H": "HSE"}
STATUS = {"C": "completed", "E": "entered-in-error", "N": "not-done"}
SYSTEM = {"S": "snomed", "I": "icd10cm"}


@pytest.fixture(scope="module")
def fl_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("native")
    write_native(out, seed=SEED, count=CHILDREN)
    return out / native_file_name("FL")


def _canonical() -> list[StudentRecord]:
    return [
        emitted.record
        for child in iter_children(SEED, CHILDREN, states=SAMPLE_STATES)
        for emitted in child.records
        if emitted.record.student_id.state == "FL"
    ]


def fields(line: str) -> dict[str, str]:
    """The fields of one record, sliced by the layout of its type, trailing spaces removed."""
    layout = LAYOUT[line[0]]
    return {
        f.name: line[start - 1 : start - 1 + f.width].rstrip() for f, start in layout.positions()
    }


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    return data.decode("cp1252").split("\r\n")[:-1]


def _date(text: str) -> date | None:
    return datetime.strptime(text, "%Y%m%d").date() if text else None


def _flag(text: str) -> bool | None:
    return {"1": True, "0": False}.get(text)


def _or_none(text: str) -> str | None:
    return text or None


def _hundredths(text: str) -> Decimal | None:
    return Decimal(int(text)) / 100 if text else None


def read_fl(path: Path) -> Iterator[StudentRecord]:
    """The records of an FL file: one per S record and the records that follow it."""
    group: list[dict[str, str]] = []
    for line in _lines(path)[1:]:
        if line[0] == "S" and group:
            yield _record(group)
            group = []
        group.append(fields(line))
    if group:
        yield _record(group)


def _record(group: list[dict[str, str]]) -> StudentRecord:
    s = group[0]
    kind: dict[str, list[dict[str, str]]] = {}
    for fields_ in group[1:]:
        kind.setdefault(fields_["REC_TYPE"], []).append(fields_)
    return StudentRecord(
        student_id=StudentId(state="FL", value=s["STUDENT_ID"], id_type=_or_none(s["ID_TYPE"])),
        action=s["ACTION"],
        msix_id=_or_none(s["MSIX_ID"]),
        identity=Identity(
            first_name=_or_none(s["FIRST_NAME"]),
            middle_name=_or_none(s["MIDDLE_NAME"]),
            # The combined field cannot be split back without a surname-splitting rule.
            last_name_1=_or_none(s["LAST_NAMES"]),
            suffix=_or_none(s["SUFFIX"]),
            sex=SEX.get(s["SEX"]),
            birth_date=_date(s["BIRTH_DATE"]),
            multiple_birth=_flag(s["MULTI_BIRTH"]),
            birth_city=_or_none(s["BIRTH_CITY"]),
            birth_state=_or_none(s["BIRTH_STATE"]),
            birth_country=_or_none(s["BIRTH_COUNTRY"]),
            birth_date_verification=_or_none(s["BIRTH_VERIF"]),
            parents=[
                Parent(
                    first_name=_or_none(p["FIRST_NAME"]),
                    last_name=_or_none(p["LAST_NAME"]),
                    email=_or_none(p["EMAIL"]),
                    phone=_or_none(p["PHONE"]),
                )
                for p in kind.get("P", [])
            ],
            alternate_ids=(
                [StudentId(state="FL", value=s["ALT_ID"], id_type=_or_none(s["ALT_ID_TYPE"]))]
                if s["ALT_ID"]
                else []
            ),
        ),
        moves=[
            QualifyingMove(
                qualifying_arrival_date=_date(m["QAD"]),
                from_city=_or_none(m["FROM_CITY"]),
                from_state=_or_none(m["FROM_STATE"]),
                from_country=_or_none(m["FROM_COUNTRY"]),
                to_city=_or_none(m["TO_CITY"]),
                to_state=_or_none(m["TO_STATE"]),
                eligibility_expiration_date=_date(m["ELIG_EXP_DATE"]),
                last_qualifying_move_date=_date(m["LAST_QM_DATE"]),
            )
            for m in kind.get("M", [])
        ],
        enrollments=[
            Enrollment(
                record_id=e["SEQ"],
                enrollment_date=_date(e["ENROLL_DATE"]),
                enrollment_type=_or_none(e["ENROLL_TYPE"]),
                school_or_project_name=_or_none(e["SCHOOL_NAME"]),
                mep_project_type=_or_none(e["MEP_PROJ_TYPE"]),
                school_id=_or_none(e["SCHOOL_ID"]),
                district_id=_or_none(e["DISTRICT_ID"]),
                district_name=_or_none(e["DISTRICT_NAME"]),
                grade_level=_or_none(e["GRADE"]),
                lep=_flag(e["LEP"]),
                iep=_flag(e["IEP"]),
                immunization_record_flag=_flag(e["IMM_FLAG"]),
                medical_alert=ALERT.get(e["MED_ALERT"]),
                pfs=_flag(e["PFS"]),
                withdrawal_date=_date(e["WITHDRAW_DATE"]),
                district_of_residence=_or_none(e["RES_DISTRICT"]),
                residency_date=_date(e["RES_DATE"]),
                residency_verification_date=_date(e["RES_VERIFY_DATE"]),
                designated_graduation_school=_or_none(e["GRAD_SCHOOL"]),
                graduation_hse_indicator=GRADUATION.get(e["GRAD_TYPE"]),
                graduation_hse_date=_date(e["GRAD_DATE"]),
                out_of_state_transcript=_flag(e["OOS_TRANSCRIPT"]),
                continuation_of_services_reason=_or_none(e["COS_REASON"]),
                algebra_1=_flag(e["ALGEBRA_1"]),
            )
            for e in kind.get("E", [])
        ],
        assessments=[
            Assessment(
                record_id=a["SEQ"],
                title=a["TITLE"],
                content=_or_none(a["CONTENT"]),
                assessment_type=_or_none(a["ASSESS_TYPE"]),
                administration_date=(
                    f"{a['ADMIN_MONTH'][2:]}-{a['ADMIN_MONTH'][:2]}" if a["ADMIN_MONTH"] else None
                ),
                reporting_method=_or_none(a["METHOD"]),
                score_results=_or_none(a["SCORE"]),
                interpretation=_or_none(a["INTERPRETATION"]),
            )
            for a in kind.get("A", [])
        ],
        courses=[
            Course(
                record_id=c["SEQ"],
                title=c["TITLE"],
                subject_area=_or_none(c["SUBJECT"]),
                course_type=_or_none(c["COURSE_TYPE"]),
                begin_year=int(c["BEGIN_YEAR"]) if c["BEGIN_YEAR"] else None,
                end_year=int(c["END_YEAR"]) if c["END_YEAR"] else None,
                section=_or_none(c["SECTION"]),
                term_type=_or_none(c["TERM_TYPE"]),
                clock_hours=_hundredths(c["CLOCK_HOURS"]),
                grade_to_date=_or_none(c["GRADE_TO_DATE"]),
                credits_granted=_hundredths(c["CREDITS"]),
                final_grade=_or_none(c["FINAL_GRADE"]),
            )
            for c in kind.get("C", [])
        ],
        immunizations=[
            Immunization(
                record_id=i["SEQ"],
                cvx=i["CVX"],
                occurrence_date=_date(i["ADMIN_DATE"]),
                dose_number=int(i["DOSE"]) if i["DOSE"] else None,
                status=STATUS[i["STATUS"]],
                primary_source=i["SOURCE"] == "P",
            )
            for i in kind.get("I", [])
        ],
        conditions=[
            Condition(
                record_id=d["SEQ"],
                code_system=SYSTEM[d["CODE_SYSTEM"]],
                code=d["CODE"],
                display=_or_none(d["NAME"]),
                onset_date=_date(d["ONSET_DATE"]),
                abatement_date=_date(d["ABATE_DATE"]),
            )
            for d in kind.get("D", [])
        ],
    )


def fl_view(record: StudentRecord) -> StudentRecord:
    """What FL can carry of `record` (mappings/fl/README.md, "cannot carry")."""
    who = record.identity
    surnames = " ".join(name for name in (who.last_name_1, who.last_name_2) if name) or None
    return record.model_copy(
        update={
            "identity": who.model_copy(
                update={
                    "last_name_1": surnames,
                    "last_name_2": None,
                    "alternate_ids": who.alternate_ids[:1],
                }
            ),
            "conditions": [
                c.model_copy(
                    update={
                        "category": "problem-list-item",
                        "clinical_status": "active",
                        "verification_status": "confirmed",
                    }
                )
                for c in record.conditions
            ],
        }
    )


def test_records_give_back_every_field_fl_carries_of_every_record(fl_file: Path) -> None:
    records = list(read_fl(fl_file))
    expected = _canonical()

    assert len(records) == len(expected) > 30
    for got, record in zip(records, expected, strict=True):
        assert got == fl_view(record), record.student_id.value
    assert any(r.conditions for r in expected)
    assert any(r.courses for r in expected)


def test_header_counts_reconcile_with_the_body(fl_file: Path) -> None:
    lines = _lines(fl_file)
    header = fields(lines[0])
    body = lines[1:]

    assert header["REC_TYPE"] == "H"
    assert header["STATE"] == "FL"
    assert header["SUBMITTED"] == "20261128021500000"
    assert int(header["STUDENT_COUNT"]) == sum(line[0] == "S" for line in body) > 30
    assert int(header["RECORD_COUNT"]) == len(body)
    assert header["BEGIN_EFF_DATE"] < header["END_EFF_DATE"] == "20261128"
    starts = [
        fields(line)["QAD" if line[0] == "M" else "ENROLL_DATE"] for line in body if line[0] in "ME"
    ]
    assert header["BEGIN_EFF_DATE"] == min(starts)


def test_every_record_is_250_bytes_and_crlf(fl_file: Path) -> None:
    raw = fl_file.read_bytes().split(b"\r\n")

    assert raw[-1] == b""
    assert {len(record) for record in raw[:-1]} == {RECORD_LENGTH}
    assert b"\n" not in b"".join(raw)
    assert {record[0] for record in raw[1:-1]} <= set(b"SPMEACID")


def test_the_file_is_cp1252_and_keeps_accented_names(fl_file: Path) -> None:
    data = fl_file.read_bytes()
    text = data.decode("cp1252")

    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    surnames = [fields(line)["LAST_NAMES"] for line in text.split("\r\n") if line[:1] == "S"]
    accented = [name for name in surnames if re.search("[áéíóúñÁÉÍÓÚÑ]", name)]
    assert len(accented) > 5
    assert any(" " in name for name in surnames)  # both surnames in the one field
    assert "é".encode("cp1252") in data


def test_an_empty_file_still_has_a_header_whose_dates_differ(tmp_path: Path) -> None:
    path = tmp_path / "fl.dat"
    with open_state_file("FL", path):
        pass

    header = fields(path.read_bytes().decode("cp1252").split("\r\n")[0])
    assert (header["STUDENT_COUNT"], header["RECORD_COUNT"]) == ("00000000", "000000000")
    assert header["BEGIN_EFF_DATE"] == "20261127"
    assert header["END_EFF_DATE"] == "20261128"


def test_text_is_cut_padded_and_kept_in_cp1252_numbers_are_zero_padded() -> None:
    layout = Layout(
        "X", "test", (FixedField("NAME", 6), FixedField("N", 4, numeric=True), FixedField("E", 3))
    )

    line = render(layout, ["Núñez-Peña", 42, None])
    assert (
        line == "Núñez-".encode("cp1252") + b"0042" + b"   " + b" " * (RECORD_LENGTH - 13) + b"\r\n"
    )
    assert render(layout, ["Nguyễn", None, "a\nb"])[:13] == b"Nguy?n    a b"
    with pytest.raises(ValueError, match="too wide"):
        render(layout, ["", 12345, ""])


def test_layouts_fit_the_record_length_and_the_readme_documents_them() -> None:
    readme = (ROOT / "mappings" / "fl" / "README.md").read_text(encoding="utf-8")
    sections = {
        match.group(1): body
        for match, body in zip(
            re.finditer(r"^#### (\w): ", readme, re.MULTILINE),
            re.split(r"^#### \w: ", readme, flags=re.MULTILINE)[1:],
            strict=True,
        )
    }

    assert sorted(sections) == sorted(LAYOUT)
    for layout in LAYOUTS:
        assert layout.length <= RECORD_LENGTH
        for field, start in layout.positions():
            assert f"| {field.name} | {start} | {field.width} |" in sections[layout.record_type]

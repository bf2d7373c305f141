"""Code lookups at run time: every unmapped code is reported on its record, whatever the
declared behaviour, with the record number, the field and the code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hub.errors import Severity
from hub.mapping import load_mapping

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

GRADES = """\
    # what: test grade codes
    # owner: tests
    # reviewed: 2026-11-28
    source_code,target_system,target_code,display
    K,grade-level,KG,Kindergarten
    1,grade-level,01,Grade 1
    """


def mapping_with(step: str) -> str:
    return f"""\
        state: ZZ
        format: csv
        record: {{key: ID}}
        groups:
          - group: enrollments
            record_id: auto
            fields:
              - to: enrollments[].enrollment_date
                value: "2024-08-26"
              - to: enrollments[].grade_level
                from: GRADE
                transform: [{step}]
        """


@pytest.mark.parametrize(
    ("step", "severity", "grades"),
    [
        ("{fn: lookup, table: grades.csv, unmapped: fail}", Severity.ERROR, ["KG", None, None]),
        (
            "{fn: lookup, table: grades.csv, unmapped: pass-through}",
            Severity.WARNING,
            ["KG", "7X", "k"],
        ),
        (
            '{fn: lookup, table: grades.csv, unmapped: default, default: "UG"}',
            Severity.WARNING,
            ["KG", "UG", "UG"],
        ),
    ],
)
def test_every_unmapped_code_is_reported_with_record_field_and_value(
    write_mapping: WriteMapping,
    map_bytes: MapBytes,
    step: str,
    severity: Severity,
    grades: list[str | None],
) -> None:
    mapping = load_mapping(write_mapping(mapping_with(step), grades_csv=GRADES))
    results = map_bytes(mapping, b"ID,GRADE\n1,K\n2,7X\n3,k\n")
    unmapped = [
        (r.record_number, i.location, i.severity, r.values)
        for r in results
        for i in r.issues
        if i.rule == "map.lookup"
    ]
    assert unmapped == [
        (2, "record[2].GRADE", severity, {"GRADE": "7X"}),
        (3, "record[3].GRADE", severity, {"GRADE": "k"}),
    ]
    found = [
        r.record.enrollments[0].grade_level if r.record and r.record.enrollments else None
        for r in results
    ]
    # With fail the element stays empty; the record is built, and its error rejects it.
    assert found == grades


def test_ignore_case_matches_codes_in_any_case(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    step = "{fn: lookup, table: grades.csv, unmapped: fail, ignore_case: true}"
    mapping = load_mapping(write_mapping(mapping_with(step), grades_csv=GRADES))
    (mapped,) = map_bytes(mapping, b"ID,GRADE\n1, k \n")
    assert mapped.record is not None
    assert mapped.record.enrollments[0].grade_level == "KG"

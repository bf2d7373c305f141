"""File header and trailer reconciliation (`file:`), and the file's limits (DOMAIN.md §4): a
declared header or trailer must be there and agree with the file, or the whole file is rejected
with every located file-level issue at once, even when only its last line tells."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hub.errors import ConfigurationError, Issue
from hub.mapping import FileRejected, MappedRecord, Mapping, load_mapping, map_file
from hub.mapping._docs import ISSUE_RULES
from hub.mapping._file_checks import format_problem, read_time

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

TODAY = datetime(2026, 11, 28).date()

FIXED = """\
    state: ZZ
    format: fixed-width
    fixed_width:
      columns:
        - {name: REC_TYPE, start: 1, length: 1}
        - {name: STUDENT_ID, start: 2, length: 8}
      record_types:
        type_column: REC_TYPE
        columns:
          S:
            - {name: FIRST_NAME, start: 10, length: 10}
          E:
            - {name: ENROLL_DATE, start: 10, length: 8}
    record:
      key: STUDENT_ID
      rows: {type_field: REC_TYPE, equals: S}
    file:
      header:
        rows: {type_field: REC_TYPE, equals: H}
        columns:
          - {name: STATE, start: 2, length: 2}
          - {name: SUBMITTED, start: 4, length: 17}
          - {name: STUDENT_COUNT, start: 21, length: 8}
          - {name: RECORD_COUNT, start: 29, length: 9}
          - {name: BEGIN_EFF_DATE, start: 38, length: 8}
          - {name: END_EFF_DATE, start: 46, length: 8}
        checks:
          - {field: STATE, equals_state: true}
          - {field: SUBMITTED, format: "%Y%m%d%H%M%S%f"}
          - {field: STUDENT_COUNT, counts: children}
          - {field: RECORD_COUNT, counts: rows}
          - {field: BEGIN_EFF_DATE, format: "%Y%m%d", before: END_EFF_DATE}
      limits: {children: 3, items_per_group: 2}
    fields:
      - to: identity.first_name
        from: FIRST_NAME
    groups:
      - group: enrollments
        rows: {type_field: REC_TYPE, equals: E}
        record_id: auto
        fields:
          - to: enrollments[].enrollment_date
            from: ENROLL_DATE
            transform: [{fn: parse_date, format: "%Y%m%d"}]
    """

GOOD_HEADER = {
    "state": "ZZ",
    "submitted": "20261128021500123",
    "students": "00000002",
    "records": "000000003",
    "begin": "20260801",
    "end": "20261128",
}


def header(**changes: str) -> str:
    f = GOOD_HEADER | changes
    return (
        f"H{f['state']:<2}{f['submitted']:<17}{f['students']:>8}{f['records']:>9}"
        f"{f['begin']:<8}{f['end']:<8}"
    )


def student(student_id: str, name: str = "Ana") -> str:
    return f"S{student_id:<8}{name:<10}"


def enrollment(student_id: str, day: str = "20260826") -> str:
    return f"E{student_id:<8}{day:<8}"


def fixed_file(*lines: str) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode("cp1252")


GOOD_BODY = (student("00000001"), enrollment("00000001"), student("00000002"))


def rejection(mapping: Mapping, data: bytes) -> list[tuple[str | None, str | None]]:
    """(location, rule) of each file-level issue `data` is rejected with."""
    with pytest.raises(FileRejected) as caught:
        list(map_file(mapping, io.BytesIO(data), today=TODAY))
    return [(issue.location, issue.rule) for issue in caught.value.issues]


def issues_of(mapping: Mapping, data: bytes) -> list[Issue]:
    with pytest.raises(FileRejected) as caught:
        list(map_file(mapping, io.BytesIO(data), today=TODAY))
    return list(caught.value.issues)


@pytest.fixture
def fixed(write_mapping: WriteMapping) -> Mapping:
    return load_mapping(write_mapping(FIXED))


# A fixed-width header (FL's shape)


def test_a_file_whose_header_reconciles_maps_every_child(
    fixed: Mapping, map_bytes: MapBytes
) -> None:
    mapped = map_bytes(fixed, fixed_file(header(), *GOOD_BODY))

    assert [child.state_student_id for child in mapped] == ["00000001", "00000002"]
    assert [child.line for child in mapped] == [2, 4]
    assert mapped[0].record is not None
    assert len(mapped[0].record.enrollments) == 1


@pytest.mark.parametrize(
    ("changes", "location", "rule"),
    [
        ({"state": "TX"}, "header.STATE", "file.header-state"),
        ({"state": ""}, "header.STATE", "file.header-state"),
        ({"submitted": "20261131021500123"}, "header.SUBMITTED", "file.header-format"),
        ({"submitted": "2026112802150012"}, "header.SUBMITTED", "file.header-format"),
        ({"submitted": "2026-11-28 02:15"}, "header.SUBMITTED", "file.header-format"),
        ({"students": "00000003"}, "header.STUDENT_COUNT", "file.header-count"),
        ({"students": "     two"}, "header.STUDENT_COUNT", "file.header-count"),
        ({"records": "000000004"}, "header.RECORD_COUNT", "file.header-count"),
        ({"begin": "20261128"}, "header.BEGIN_EFF_DATE", "file.header-order"),
        ({"begin": "20261201"}, "header.BEGIN_EFF_DATE", "file.header-order"),
        ({"begin": "20260231"}, "header.BEGIN_EFF_DATE", "file.header-format"),
        ({"end": "        "}, "header.END_EFF_DATE", "file.header-format"),
    ],
)
def test_each_header_check_fails_located_at_its_field(
    fixed: Mapping, changes: dict[str, str], location: str, rule: str
) -> None:
    assert rejection(fixed, fixed_file(header(**changes), *GOOD_BODY)) == [(location, rule)]


def test_a_header_issue_says_what_was_expected_and_what_was_found(fixed: Mapping) -> None:
    data = fixed_file(header(state="TX", students="00000005"), *GOOD_BODY)

    messages = [issue.message for issue in issues_of(fixed, data)]

    assert messages == [
        "STATE is 'TX'; expected 'ZZ', the mapping's state (line 1)",
        "STUDENT_COUNT says 5 children; the file holds 2 (line 1)",
    ]


def test_every_file_issue_is_reported_at_once(fixed: Mapping) -> None:
    bad = header(
        state="FL", submitted="99999999999999999", students="9", records="1", begin="20270101"
    )

    assert rejection(fixed, fixed_file(bad, *GOOD_BODY)) == [
        ("header.STATE", "file.header-state"),
        ("header.SUBMITTED", "file.header-format"),
        ("header.BEGIN_EFF_DATE", "file.header-order"),
        ("header.STUDENT_COUNT", "file.header-count"),
        ("header.RECORD_COUNT", "file.header-count"),
    ]


def test_a_count_mismatch_rejects_the_file_after_its_last_record(fixed: Mapping) -> None:
    # The header promises a fourth child; only the end of the file shows it never came.
    data = fixed_file(header(students="00000004", records="000000004"), *GOOD_BODY, student("3"))
    got: list[MappedRecord] = []

    with pytest.raises(FileRejected) as caught:
        got.extend(map_file(fixed, io.BytesIO(data), today=TODAY))

    assert [child.state_student_id for child in got] == ["00000001", "00000002", "3"]
    assert [(i.location, i.rule, i.message) for i in caught.value.issues] == [
        (
            "header.STUDENT_COUNT",
            "file.header-count",
            "STUDENT_COUNT says 4 children; the file holds 3 (line 1)",
        )
    ]


def test_once_a_file_is_rejected_its_records_are_counted_not_mapped(fixed: Mapping) -> None:
    data = fixed_file(header(state="TX", students="00000009"), *GOOD_BODY)
    got: list[MappedRecord] = []

    with pytest.raises(FileRejected) as caught:
        got.extend(map_file(fixed, io.BytesIO(data), today=TODAY))

    assert got == []
    assert "STUDENT_COUNT says 9 children; the file holds 2" in str(caught.value)


def test_a_file_without_its_header_is_rejected(fixed: Mapping) -> None:
    assert rejection(fixed, fixed_file(*GOOD_BODY)) == [("header", "file.header-missing")]
    assert rejection(fixed, b"") == [("header", "file.header-missing")]


def test_a_header_after_the_first_record_is_misplaced(fixed: Mapping) -> None:
    data = fixed_file(student("00000001"), header(), student("00000002"))

    assert rejection(fixed, data) == [
        ("header", "file.header-missing"),
        ("header", "file.header-position"),
    ]


def test_a_second_header_is_misplaced(fixed: Mapping) -> None:
    data = fixed_file(header(), header(), *GOOD_BODY)

    assert rejection(fixed, data) == [("header", "file.header-position")]


def test_a_header_line_shorter_than_its_layout_is_rejected(fixed: Mapping) -> None:
    data = fixed_file(header()[:40], *GOOD_BODY)

    assert ("header", "file.header-shape") in rejection(fixed, data)


# Limits


def test_more_children_than_the_limit_rejects_the_file(fixed: Mapping) -> None:
    body = [student(f"0000000{n}") for n in range(1, 6)]
    data = fixed_file(header(students="00000005", records="000000005"), *body)
    got: list[MappedRecord] = []

    with pytest.raises(FileRejected) as caught:
        got.extend(map_file(fixed, io.BytesIO(data), today=TODAY))

    assert [(i.location, i.rule) for i in caught.value.issues] == [("file", "file.children-limit")]
    assert "the file holds 5 children; at most 3 a file" in str(caught.value)
    assert len(got) == 3


def test_more_items_in_one_group_than_the_limit_is_an_issue_of_that_record(
    fixed: Mapping, map_bytes: MapBytes
) -> None:
    body = [student("00000001"), *[enrollment("00000001")] * 3, student("00000002")]
    data = fixed_file(header(records="000000005"), *body)

    first, second = map_bytes(fixed, data)

    limit = [(i.location, i.rule, i.message) for i in first.issues if i.rule == "map.group-limit"]
    assert limit == [
        (
            "record[1].enrollments",
            "map.group-limit",
            "the child has 3 enrollments; at most 2 a group",
        )
    ]
    assert not any(issue.rule == "map.group-limit" for issue in second.issues)


# A CSV trailer (TX's shape)

CSV_TRAILER = """\
    state: ZZ
    format: csv
    csv: {delimiter: "|"}
    record: {key: ID}
    file:
      trailer:
        rows: {type_field: ID, equals: TRL}
        columns: [TYPE, CHILD_COUNT]
        checks:
          - {field: CHILD_COUNT, counts: children}
    fields:
      - to: identity.first_name
        from: NAME
    """


@pytest.fixture
def csv_trailer(write_mapping: WriteMapping) -> Mapping:
    return load_mapping(write_mapping(CSV_TRAILER))


def test_a_csv_trailer_that_counts_the_children_passes(
    csv_trailer: Mapping, map_bytes: MapBytes
) -> None:
    mapped = map_bytes(csv_trailer, b"ID|NAME\n1|Ana\n2|Luis\nTRL|2\n")

    assert [child.state_student_id for child in mapped] == ["1", "2"]
    # The trailer row is not a child, and its two cells are not a short row of one.
    assert not [i.rule for child in mapped for i in child.issues if "file." in (i.rule or "")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"ID|NAME\n1|Ana\n2|Luis\nTRL|3\n", [("trailer.CHILD_COUNT", "file.trailer-count")]),
        (b"ID|NAME\n1|Ana\n2|Luis\nTRL|\n", [("trailer.CHILD_COUNT", "file.trailer-count")]),
        (b"ID|NAME\n1|Ana\n2|Luis\n", [("trailer", "file.trailer-missing")]),
        (b"ID|NAME\n1|Ana\nTRL|1\n2|Luis\n", [("trailer", "file.trailer-position")]),
        (b"ID|NAME\n1|Ana\n2|Luis\nTRL|2|x\n", [("trailer", "file.trailer-shape")]),
    ],
    ids=["count", "blank-count", "missing", "not-last", "shape"],
)
def test_a_bad_csv_trailer_rejects_the_file(
    csv_trailer: Mapping, data: bytes, expected: list[tuple[str, str]]
) -> None:
    assert rejection(csv_trailer, data) == expected


def test_the_trailer_type_field_must_be_a_column_of_the_file(csv_trailer: Mapping) -> None:
    issues = issues_of(csv_trailer, b"STUDENT|NAME\n1|Ana\nTRL|1\n")

    assert [(issue.rule, issue.message) for issue in issues] == [
        ("file.header", "columns the mapping reads are missing: ID")
    ]


# JSON lines: a header object


def test_a_json_lines_header_reads_dotted_fields(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
            state: ZZ
            format: jsonl
            record: {key: id}
            file:
              header:
                rows: {type_field: kind, equals: header}
                checks:
                  - {field: meta.state, equals_state: true}
                  - {field: meta.children, counts: children}
            """)
    )
    good = b'{"kind": "header", "meta": {"state": "ZZ", "children": 2}}\n{"id": "1"}\n{"id": "2"}\n'
    bad = b'{"kind": "header", "meta": {"state": "ZZ", "children": 1}}\n{"id": "1"}\n{"id": "2"}\n'

    assert [child.state_student_id for child in map_bytes(mapping, good)] == ["1", "2"]
    assert rejection(mapping, bad) == [("header.meta.children", "file.header-count")]


# XML: the root as header, an element after the last record as trailer

XML_MAPPING = """\
    state: ZZ
    format: xml
    xml: {xslt: transforms/state-xml.xsl, record_element: Student}
    fields:
      - to: identity.sex
        transform: [{fn: lookup, table: sex.csv, unmapped: fail}]
      - to: identity.birth_date
        transform: [{fn: parse_date, format: "%m/%d/%Y"}]
    file:
      header:
        element: Students
        checks:
          - {field: state, equals_state: true}
          - {field: extracted, format: "%Y-%m-%dT%H:%M:%S"}
      trailer:
        element: Summary
        checks:
          - {field: count, counts: children}
          - {field: Version, equals: "3"}
    """


def xml_student(student_id: str) -> str:
    return (
        f"<Student><Id>{student_id}</Id><Action>I</Action><Name><Given>Ana</Given>"
        "<Paternal>Pérez</Paternal></Name><Sex>F</Sex><Dob>03/14/2012</Dob>"
        "<Qad>2024-08-19</Qad></Student>"
    )


def xml_file(*parts: str, state: str = "ZZ", extracted: str = "2026-11-28T02:15:00") -> bytes:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Students xmlns="urn:example:state-students" state="{state}" extracted="{extracted}">'
    )
    return (head + "".join(parts) + "</Students>\n").encode()


def summary(count: str, version: str = "3") -> str:
    return f'<Summary count="{count}"><Version>{version}</Version></Summary>'


@pytest.fixture
def state_xml(
    write_mapping: WriteMapping, transforms_dir: Path, fixtures: Path
) -> Callable[[str], Mapping]:
    shutil.copy(fixtures / "transforms" / "state-xml.xsl", transforms_dir / "state-xml.xsl")
    sex = (fixtures / "mappings" / "state-xml" / "sex.csv").read_text(encoding="utf-8")

    def load(body: str) -> Mapping:
        return load_mapping(write_mapping(body, sex_csv=sex))

    return load


def test_an_xml_root_header_and_summary_trailer_that_reconcile_pass(
    state_xml: Callable[[str], Mapping], map_bytes: MapBytes
) -> None:
    mapping = state_xml(XML_MAPPING)

    mapped = map_bytes(mapping, xml_file(xml_student("X1"), xml_student("X2"), summary("2")))

    assert [(child.record_number, child.state_student_id) for child in mapped] == [
        (1, "X1"),
        (2, "X2"),
    ]
    assert all(child.issues == [] for child in mapped)


def test_a_bad_xml_header_and_trailer_are_reported_together(
    state_xml: Callable[[str], Mapping],
) -> None:
    mapping = state_xml(XML_MAPPING)
    data = xml_file(
        xml_student("X1"), xml_student("X2"), summary("3", "2"), state="TX", extracted="2026-11-28"
    )

    assert rejection(mapping, data) == [
        ("header.state", "file.header-state"),
        ("header.extracted", "file.header-format"),
        ("trailer.Version", "file.trailer-value"),
        ("trailer.count", "file.trailer-count"),
    ]


def test_an_xml_trailer_must_follow_the_last_record(
    state_xml: Callable[[str], Mapping],
) -> None:
    mapping = state_xml(XML_MAPPING)

    assert rejection(mapping, xml_file(xml_student("X1"))) == [("trailer", "file.trailer-missing")]
    assert rejection(mapping, xml_file(summary("1"), xml_student("X1"))) == [
        ("trailer", "file.trailer-position")
    ]


def test_an_xml_header_may_be_an_element_before_the_first_record(
    state_xml: Callable[[str], Mapping], map_bytes: MapBytes
) -> None:
    mapping = state_xml("""\
        state: ZZ
        format: xml
        xml: {xslt: transforms/state-xml.xsl, record_element: Student}
        file:
          header:
            element: Header
            checks:
              - {field: Sent, format: "%Y%m%d%H%M%S%f"}
              - {field: Students, counts: children}
        """)
    head = "<Header><Sent>20261128021500000</Sent><Students>1</Students></Header>"

    assert len(map_bytes(mapping, xml_file(head, xml_student("X1")))) == 1
    assert rejection(mapping, xml_file(xml_student("X1"), head)) == [
        ("header", "file.header-missing"),
        ("header", "file.header-position"),
    ]


# Timestamps


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("20261128021500123", "%Y%m%d%H%M%S%f", datetime(2026, 11, 28, 2, 15, 0, 123_000)),
        ("2026112802150012", "%Y%m%d%H%M%S%f", None),
        ("202611280215001234", "%Y%m%d%H%M%S%f", None),
        ("20261128251500123", "%Y%m%d%H%M%S%f", None),
        ("20240229", "%Y%m%d", datetime(2024, 2, 29)),
        ("20250229", "%Y%m%d", None),
        ("2026-11-28T02:15:00", "%Y-%m-%dT%H:%M:%S", datetime(2026, 11, 28, 2, 15)),
        ("2026-11-28 02:15:00", "%Y-%m-%dT%H:%M:%S", None),
    ],
)
def test_timestamps_are_read_strictly_digit_for_digit(
    text: str, fmt: str, expected: datetime | None
) -> None:
    assert read_time(text, fmt) == expected


def test_only_fixed_width_date_and_time_directives_make_a_format() -> None:
    assert format_problem("%Y%m%d%H%M%S%f") is None
    assert "uses %b" in (format_problem("%d-%b-%Y") or "")
    assert "more than once" in (format_problem("%Y%m%d%Y") or "")
    assert "a year, a month and a day" in (format_problem("%H%M") or "")


# Loading: every mistake of the file section, located


def located(issues: list[Issue]) -> list[tuple[str, str | None]]:
    return [((issue.location or "").split(":", 1)[1], issue.rule) for issue in issues]


def test_every_mistake_in_the_file_section_is_located_at_load(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping("""\
        state: ZZ
        format: fixed-width
        fixed_width:
          columns:
            - {name: REC_TYPE, start: 1, length: 1}
            - {name: ID, start: 2, length: 8}
        record: {key: ID}
        file:
          header:
            rows: {type_field: KIND, equals: H}
            columns:
              - {name: STATE, start: 2, length: 2}
              - {name: COUNT, start: 3, length: 8}
            checks:
              - {field: STATE, equals_state: true, equals: ZZ}
              - {field: SENT, format: "%d-%b-%Y"}
              - {field: COUNT, counts: rows, before: STATE}
          trailer:
            element: Summary
            checks:
              - {field: COUNT, counts: everything}
          limits: {children: 0}
        """)
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)

    assert located(list(caught.value.issues)) == [
        # The type field and the trailer's field (it has no layout of its own) are read from
        # the records' columns, which lack them.
        ("7 fixed_width.columns", "map.layout"),
        ("13 file.header.rows.type_field", "map.file"),
        ("16 file.header.columns[1].start", "map.layout"),
        ("18 file.header.checks[0]", "map.file"),
        ("19 file.header.checks[1].format", "map.file"),
        ("19 file.header.checks[1].field", "map.file"),
        ("20 file.header.checks[2].before", "map.file"),
        ("21 file.trailer", "map.file"),
        ("22 file.trailer.element", "map.file"),
        ("24 file.trailer.checks[0].counts", "map.schema"),
        ("25 file.limits.children", "map.schema"),
    ]


def test_an_xml_summary_is_an_element_and_counts_children_only(
    write_mapping: WriteMapping, transforms_dir: Path, fixtures: Path
) -> None:
    shutil.copy(fixtures / "transforms" / "state-xml.xsl", transforms_dir / "state-xml.xsl")
    path = write_mapping("""\
        state: ZZ
        format: xml
        xml: {xslt: transforms/state-xml.xsl, record_element: Student}
        file:
          header:
            rows: {type_field: KIND, equals: H}
            columns: [A, B]
          trailer:
            element: Summary
            checks:
              - {field: count, counts: rows}
        """)
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)

    assert located(list(caught.value.issues)) == [
        ("8 file.header", "map.file"),
        ("9 file.header.rows", "map.file"),
        ("10 file.header.columns", "map.file"),
        ("14 file.trailer.checks[0].counts", "map.file"),
    ]
    assert "use element:, not rows:" in str(caught.value)


def test_an_xml_summary_is_neither_the_record_element_nor_the_other_summary(
    write_mapping: WriteMapping, transforms_dir: Path, fixtures: Path
) -> None:
    shutil.copy(fixtures / "transforms" / "state-xml.xsl", transforms_dir / "state-xml.xsl")
    path = write_mapping("""\
        state: ZZ
        format: xml
        xml: {xslt: transforms/state-xml.xsl, record_element: Student}
        file:
          header: {element: Student}
          trailer: {element: Student}
        """)
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)

    assert located(list(caught.value.issues)) == [
        ("8 file.header.element", "map.file"),
        ("9 file.trailer.element", "map.file"),
        ("9 file.trailer.element", "map.file"),
    ]


def test_a_csv_summary_names_its_cells(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        file:
          trailer:
            rows: {type_field: ID, equals: TRL}
            columns: [{name: COUNT, start: 1, length: 3}]
        """)
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)

    assert located(list(caught.value.issues)) == [("10 file.trailer.columns", "map.file")]


def test_every_file_rule_raised_is_documented(fixed: Mapping, csv_trailer: Mapping) -> None:
    raised: set[str] = {
        rule or ""
        for mapping, data in (
            (fixed, fixed_file(header(state="TX", students="9", begin="20270101"), "S1")),
            (fixed, fixed_file(header()[:30], header(), *GOOD_BODY)),
            (csv_trailer, b"ID|NAME\nTRL|1|2\n1|Ana\n"),
        )
        for _, rule in rejection(mapping, data)
    }

    assert raised >= {"file.header-state", "file.header-count", "file.header-position"}
    assert sorted(rule for rule in raised if rule not in ISSUE_RULES) == []


# The submission time (DOMAIN.md §4), for the batch's timeliness


def test_the_header_check_marked_submitted_gives_the_file_its_submission_time(
    write_mapping: WriteMapping,
) -> None:
    marked = FIXED.replace(
        '{field: SUBMITTED, format: "%Y%m%d%H%M%S%f"}',
        '{field: SUBMITTED, format: "%Y%m%d%H%M%S%f", submitted: true}',
    )
    mapping = load_mapping(write_mapping(marked))
    records = map_file(mapping, io.BytesIO(fixed_file(header(), *GOOD_BODY)), today=TODAY)
    assert records.submitted_at is None  # nothing read yet

    assert [child.state_student_id for child in records] == ["00000001", "00000002"]
    assert records.submitted_at == datetime(2026, 11, 28, 2, 15, 0, 123_000)


def test_without_a_submitted_check_a_file_has_no_submission_time(fixed: Mapping) -> None:
    records = map_file(fixed, io.BytesIO(fixed_file(header(), *GOOD_BODY)), today=TODAY)
    list(records)
    assert records.submitted_at is None


def test_submitted_goes_with_a_format_check_of_the_header_only_and_once(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping("""\
        state: ZZ
        format: fixed-width
        fixed_width:
          columns:
            - {name: REC_TYPE, start: 1, length: 1}
            - {name: ID, start: 2, length: 8}
        record: {key: ID}
        file:
          header:
            rows: {type_field: REC_TYPE, equals: H}
            columns:
              - {name: STATE, start: 2, length: 2}
              - {name: SENT, start: 4, length: 8}
              - {name: AGAIN, start: 12, length: 8}
            checks:
              - {field: STATE, equals_state: true, submitted: true}
              - {field: SENT, format: "%Y%m%d", submitted: true}
              - {field: AGAIN, format: "%Y%m%d", submitted: true}
          trailer:
            rows: {type_field: REC_TYPE, equals: T}
            columns:
              - {name: WHEN, start: 2, length: 8}
            checks:
              - {field: WHEN, format: "%Y%m%d", submitted: true}
        """)
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)

    assert located(list(caught.value.issues)) == [
        ("18 file.header.checks", "map.file"),  # two format checks say submitted
        ("19 file.header.checks[0].submitted", "map.file"),  # not a format check
        ("27 file.trailer.checks[0].submitted", "map.file"),  # not the header
    ]

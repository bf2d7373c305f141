"""Repeated groups of every kind: numbered column sets, several rows per child, one item per row,
and the contiguity of a child's rows."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from hub.errors import Issue
from hub.mapping import load_mapping

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

MULTI_ROW = """\
    state: ZZ
    format: csv
    record:
      key: ID
      rows: {type_field: T, equals: "S"}
      skip_rows: {type_field: T, in: ["H", "Z"]}
    fields:
      - to: identity.first_name
        from: A
    groups:
      - group: enrollments
        rows: {type_field: T, equals: "E"}
        record_id: auto
        fields:
          - to: enrollments[].enrollment_date
            from: A
            transform: [{fn: parse_date, format: "%Y%m%d"}]
          - to: enrollments[].grade_level
            from: B
      - group: immunizations
        rows: {type_field: T, equals: "I"}
        fields:
          - to: immunizations[].record_id
            from: B
          - to: immunizations[].cvx
            from: A
    """


def test_numbered_column_sets_expand_and_blank_sets_are_skipped(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        groups:
          - group: immunizations
            repeat: {count: 3, placeholder: "{n}", digits: 2}
            record_id: auto
            fields:
              - to: immunizations[].cvx
                from: "IMM{n}_CVX"
              - to: immunizations[].occurrence_date
                first_of: ["IMM{n}_DT", "IMM{n}_DT_ALT"]
              - to: immunizations[].status
                when: {field: "IMM{n}_REFUSED", equals: "Y"}
                value: not-done
        """)
    )
    assert [i.number for i in mapping.groups[0].instances] == [1, 2, 3]
    assert mapping.groups[0].instances[1].rules[0].fields == ("IMM02_CVX",)
    header = "ID,IMM01_CVX,IMM01_DT,IMM01_DT_ALT,IMM01_REFUSED,IMM02_CVX,IMM02_DT,IMM02_DT_ALT,"
    header += "IMM02_REFUSED,IMM03_CVX,IMM03_DT,IMM03_DT_ALT,IMM03_REFUSED"
    row = "A1,03,2013-04-02,,,,,,,21,,2014-05-01,Y"
    (mapped,) = map_bytes(mapping, f"{header}\n{row}\n".encode())
    assert mapped.record is not None
    shots = [(i.record_id, i.cvx, i.occurrence_date, i.status) for i in mapped.record.immunizations]
    assert shots == [
        ("001", "03", date(2013, 4, 2), "completed"),
        ("002", "21", date(2014, 5, 1), "not-done"),
    ]


def test_contiguous_rows_with_one_key_make_one_child(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(write_mapping(MULTI_ROW))
    data = (
        "T,ID,A,B\n"
        "H,,file header,\n"
        "S,1,Ana,\n"
        "E,1,20240826,05\n"
        "I,1,03,007\n"
        "E,1,20250106,06\n"
        "S,2,Beto,\n"
        "E,2,20240826,KG\n"
        "Z,,trailer,\n"
    )
    first, second = map_bytes(mapping, data.encode())
    assert (first.record_number, first.line, second.record_number, second.line) == (1, 3, 2, 7)
    assert first.record is not None
    assert second.record is not None
    assert first.record.identity.first_name == "Ana"
    enrollments = [(e.record_id, e.grade_level) for e in first.record.enrollments]
    assert enrollments == [("001", "05"), ("002", "06")]
    assert [(i.record_id, i.cvx) for i in first.record.immunizations] == [("007", "03")]
    assert [e.grade_level for e in second.record.enrollments] == ["KG"]


def test_a_key_that_comes_back_later_is_an_issue(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(write_mapping(MULTI_ROW))
    data = "T,ID,A,B\nS,1,Ana,\nS,2,Beto,\nS,1,Ana,\nE,1,20240826,05\n"
    results = map_bytes(mapping, data.encode())
    assert len(results) == 3
    third = results[2]
    assert (third.issues[0].location, third.issues[0].rule) == (
        "record[3].ID",
        "map.key-contiguous",
    )
    assert third.issues[0].message == (
        "rows with this student id already came as record 1; a child's rows must be contiguous "
        "(line 4)"
    )
    assert third.values["ID"] == "1"
    assert not any(i.rule == "map.key-contiguous" for r in results[:2] for i in r.issues)


def test_rows_of_an_unread_type_or_a_missing_student_row_are_issues(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(write_mapping(MULTI_ROW))
    data = "T,ID,A,B\nS,1,Ana,\nQ,1,x,\nE,2,20240826,05\nS,3,Ci,\nS,3,Ci,\n"
    first, second, third = map_bytes(mapping, data.encode())
    assert [(i.location, i.rule, i.message) for i in first.issues] == [
        ("record[1].T", "map.row-type", "the row's type is not read by the mapping (line 3)")
    ]
    assert [(i.rule, i.message) for i in second.issues] == [
        ("map.rows", "the child has no student row (line 4)")
    ]
    assert [(i.rule, i.message) for i in third.issues] == [
        ("map.rows", "the child has more than one student row (line 6)")
    ]
    assert first.record is None
    assert second.record is None
    assert third.record is None


def test_each_row_can_be_an_item(write_mapping: WriteMapping, map_bytes: MapBytes) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: NAME
        groups:
          - group: courses
            rows: each
            record_id: auto
            fields:
              - to: courses[].title
                from: COURSE
        """)
    )
    data = "ID,NAME,COURSE\n1,Ana,Algebra II\n1,Ana,English IV\n2,Beto,Biology\n"
    first, second = map_bytes(mapping, data.encode())
    assert first.record is not None
    assert [c.title for c in first.record.courses] == ["Algebra II", "English IV"]
    assert second.record is not None
    assert [c.record_id for c in second.record.courses] == ["001"]


def test_several_groups_fill_one_list_and_numbering_continues(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        groups:
          - group: alternate_ids
            fields:
              - to: identity.alternate_ids[].value
                from: MEP_ID
              - to: identity.alternate_ids[].id_type
                value: "02"
          - group: alternate_ids
            fields:
              - to: identity.alternate_ids[].value
                from: LOCAL_ID
          - group: courses
            record_id: auto
            fields:
              - to: courses[].title
                from: COURSE_A
          - group: courses
            record_id: auto
            fields:
              - to: courses[].title
                from: COURSE_B
        """)
    )
    data = "ID,MEP_ID,LOCAL_ID,COURSE_A,COURSE_B\n1,MEP-88213,L-7,Algebra II,English IV\n"
    (mapped,) = map_bytes(mapping, data.encode())
    record = mapped.record
    assert record is not None
    ids = [(i.state, i.value, i.id_type) for i in record.identity.alternate_ids]
    assert ids == [("ZZ", "MEP-88213", "02"), ("ZZ", "L-7", None)]
    assert [(c.record_id, c.title) for c in record.courses] == [
        ("001", "Algebra II"),
        ("002", "English IV"),
    ]


def test_a_one_item_group_with_blank_sources_adds_no_item(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        groups:
          - group: parents
            fields:
              - to: identity.parents[].first_name
                from: P1
          - group: parents
            fields:
              - to: identity.parents[].first_name
                from: P2
        """)
    )
    (mapped,) = map_bytes(mapping, b"ID,P1,P2\n1,Rosa,\n")
    assert mapped.record is not None
    assert [p.first_name for p in mapped.record.identity.parents] == ["Rosa"]


def _mapping_rules(issues: list[Issue]) -> list[tuple[str | None, str | None]]:
    # The model's own rules (identity needed to match, a qualifying move) are beside the point.
    return [(i.location, i.rule) for i in issues if (i.rule or "").startswith("map.")]


def test_rows_whose_key_was_left_out_make_one_child_with_one_key_issue(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    # Regression: each blank-key row used to be a child of its own, so a child sent without its
    # id came back as several records, each also "without a student row".
    mapping = load_mapping(write_mapping(MULTI_ROW))
    data = "T,ID,A,B\nS,1,Ana,\nS,,Beto,\nE,,20240826,05\nE,,20250106,06\nS,3,Ci,\n"
    first, second, third = map_bytes(mapping, data.encode())
    assert (second.record_number, second.line, second.state_student_id) == (2, 3, None)
    assert _mapping_rules(second.issues) == [("record[2].ID", "map.key")]
    assert second.record is not None
    assert [e.grade_level for e in second.record.enrollments] == ["05", "06"]
    assert [r.record_number for r in (first, second, third)] == [1, 2, 3]


def test_a_blank_key_student_row_starts_the_next_child(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(write_mapping(MULTI_ROW))
    data = "T,ID,A,B\nS,,Ana,\nE,,20240826,05\nS,,Beto,\n"
    first, second = map_bytes(mapping, data.encode())
    assert _mapping_rules(first.issues) == [("record[1].ID", "map.key")]
    assert _mapping_rules(second.issues) == [("record[2].ID", "map.key")]
    assert first.record is not None
    assert second.record is not None
    assert (first.record.identity.first_name, len(first.record.enrollments)) == ("Ana", 1)
    assert (second.record.identity.first_name, len(second.record.enrollments)) == ("Beto", 0)

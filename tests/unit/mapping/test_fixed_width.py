"""The fixed-width reader: declared layout, padding, cp1252 names, short lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hub.errors import ConfigurationError
from hub.mapping import Mapping, load_mapping

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

LAYOUT = """\
    state: ZZ
    format: fixed-width
    encoding: cp1252
    fixed_width:
      columns:
        - {name: ID, start: 1, length: 8}
        - {name: SURNAMES, start: 9, length: 30}
        - {name: DOB, start: 39, length: 8}
    record: {key: ID}
    fields:
      - to: identity.last_name_1
        from: SURNAMES
        transform: [{fn: split_surname, part: 1}, title_case]
      - to: identity.last_name_2
        from: SURNAMES
        transform: [{fn: split_surname, part: 2}, title_case]
      - to: identity.birth_date
        from: DOB
        transform: [{fn: parse_date, format: "%Y%m%d"}]
    """


def line(student_id: str, surnames: str, dob: str) -> str:
    return f"{student_id:<8}{surnames:<30}{dob:<8}"


@pytest.fixture
def fixed(write_mapping: WriteMapping) -> Mapping:
    return load_mapping(write_mapping(LAYOUT))


def test_a_combined_surname_field_in_cp1252_splits_into_two_surnames(
    fixed: Mapping, map_bytes: MapBytes
) -> None:
    data = (line("00000001", "DE LA CRUZ HERNÁNDEZ", "20120314") + "\r\n").encode("cp1252")
    (mapped,) = map_bytes(fixed, data)
    assert mapped.record is not None
    identity = mapped.record.identity
    assert (identity.last_name_1, identity.last_name_2) == ("de la Cruz", "Hernández")
    assert mapped.state_student_id == "00000001"


def test_a_short_line_is_a_problem_of_its_record_only(fixed: Mapping, map_bytes: MapBytes) -> None:
    lines = [
        line("00000001", "MUÑOZ", "20120314"),
        line("00000002", "PÉREZ", "2012").rstrip(),
        line("00000003", "GARCÍA LÓPEZ", "20110704"),
    ]
    data = "\n".join(lines).rstrip().encode("cp1252")
    first, second, third = map_bytes(fixed, data)
    assert second.record is None
    assert second.state_student_id == "00000002"
    assert [(i.location, i.message, i.rule) for i in second.issues] == [
        ("record[2]", "the line has 42 characters; the layout needs 46", "file.short-line")
    ]
    assert first.record is not None
    assert third.record is not None
    assert third.record.identity.last_name_2 == "López"
    assert third.line == 3


def test_blank_lines_are_not_records(fixed: Mapping, map_bytes: MapBytes) -> None:
    data = ("\n" + line("00000001", "RUIZ", "20120314") + "\n   \n").encode("cp1252")
    (mapped,) = map_bytes(fixed, data)
    assert mapped.line == 2


TYPED = """\
    state: ZZ
    format: fixed-width
    encoding: cp1252
    fixed_width:
      columns:
        - {name: REC_TYPE, start: 1, length: 1}
        - {name: ID, start: 2, length: 8}
      record_types:
        type_column: REC_TYPE
        columns:
          S:
            - {name: SURNAMES, start: 10, length: 30}
            - {name: FIRST_NAME, start: 40, length: 20}
          P:
            - {name: FIRST_NAME, start: 10, length: 20}
            - {name: PHONE, start: 30, length: 10}
    record:
      key: ID
      rows: {type_field: REC_TYPE, equals: S}
      skip_rows: {type_field: REC_TYPE, equals: H}
    fields:
      - to: identity.first_name
        from: FIRST_NAME
      - to: identity.last_name_1
        from: SURNAMES
        transform: [{fn: split_surname, part: 1}]
    groups:
      - group: parents
        rows: {type_field: REC_TYPE, equals: P}
        fields:
          - to: identity.parents[].first_name
            from: FIRST_NAME
          - to: identity.parents[].phone
            from: PHONE
    """


def test_each_record_type_is_cut_by_its_own_columns(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    # Regression: one layout for every line could not read FL, whose record types put
    # different fields at the same positions (the loader refused the overlapping columns).
    mapping = load_mapping(write_mapping(TYPED))
    lines = [
        "H20261128",
        f"S{'00000001':<8}{'DE LA CRUZ HERNÁNDEZ':<30}{'JOSÉ':<20}",
        f"P{'00000001':<8}{'MARÍA':<20}{'9565550101':<10}",
    ]
    (mapped,) = map_bytes(mapping, "\r\n".join(lines).encode("cp1252"))
    assert [i.rule for i in mapped.issues if (i.rule or "").startswith(("map.", "file."))] == []
    record = mapped.record
    assert record is not None
    assert (record.identity.first_name, record.identity.last_name_1) == ("JOSÉ", "DE LA CRUZ")
    assert [(p.first_name, p.phone) for p in record.identity.parents] == [("MARÍA", "9565550101")]


def test_a_short_line_is_judged_by_the_layout_of_its_type(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(write_mapping(TYPED))
    data = f"S{'00000002':<8}{'RUIZ':<30}{'ANA':<20}\nP{'00000002':<8}ROSA".encode("cp1252")
    (mapped,) = map_bytes(mapping, data)
    assert mapped.record is None
    assert [(i.rule, i.message) for i in mapped.issues] == [
        ("file.short-line", "the line has 13 characters; the layout needs 39 (line 2)")
    ]


def test_record_type_layouts_are_checked_line_by_line(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: fixed-width
        fixed_width:
          columns:
            - {name: ID, start: 1, length: 8}
          record_types:
            type_column: KIND
            columns:
              S:
                - {name: NAME, start: 9, length: 20}
                - {name: ID, start: 29, length: 2}
              E:
                - {name: NAME, start: 9, length: 10}
                - {name: DATE, start: 12, length: 8}
        record: {key: ID}
        """)
    with pytest.raises(ConfigurationError) as raised:
        load_mapping(path)
    assert [issue.message for issue in raised.value.issues] == [
        "the type column KIND is not one of the common columns",
        "column ID is declared twice",
        "column DATE overlaps column NAME",
    ]

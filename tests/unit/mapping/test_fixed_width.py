"""The fixed-width reader: declared layout, padding, cp1252 names, short lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

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

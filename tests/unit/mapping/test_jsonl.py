"""The JSON-lines reader: nested objects, nested arrays as group items, bad lines."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import pytest

from hub.mapping import Mapping, load_mapping

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping


@pytest.fixture
def nested(write_mapping: WriteMapping) -> Mapping:
    return load_mapping(
        write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: student.id}
        fields:
          - to: identity.first_name
            from: student.name.given
          - to: identity.multiple_birth
            from: student.twin
            transform: [yes_no]
        groups:
          - group: immunizations
            from: "health.vaccines[]"
            record_id: auto
            fields:
              - to: immunizations[].cvx
                from: cvx
                transform: [{fn: zero_pad, width: 2}]
              - to: immunizations[].occurrence_date
                from: given.on
              - to: immunizations[].dose_number
                from: dose
                transform: [integer]
        """)
    )


def child(**extra: object) -> bytes:
    record = {
        "student": {"id": 4471, "name": {"given": "Lupe"}, "twin": False},
        "health": {
            "vaccines": [
                {"cvx": 3, "given": {"on": "2013-04-02"}, "dose": 1},
                {},
                {"cvx": "21", "given": {"on": "2014-05-01"}, "dose": "2"},
            ]
        },
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def test_nested_objects_and_arrays_map_to_groups(nested: Mapping, map_bytes: MapBytes) -> None:
    (mapped,) = map_bytes(nested, child())
    assert mapped.state_student_id == "4471"
    record = mapped.record
    assert record is not None
    assert record.identity.first_name == "Lupe"
    assert record.identity.multiple_birth is False
    assert [
        (i.record_id, i.cvx, i.occurrence_date, i.dose_number) for i in record.immunizations
    ] == [
        ("001", "03", date(2013, 4, 2), 1),
        ("002", "21", date(2014, 5, 1), 2),
    ]


def test_issues_in_array_elements_name_the_element(nested: Mapping, map_bytes: MapBytes) -> None:
    data = child(health={"vaccines": [{"cvx": "03", "dose": "first"}]})
    (mapped,) = map_bytes(nested, data)
    assert [(i.location, i.rule) for i in mapped.issues if i.rule == "map.integer"] == [
        ("record[1].health.vaccines[0].dose", "map.integer")
    ]
    assert mapped.values == {"health.vaccines[0].dose": "first"}


def test_a_bad_json_line_is_a_problem_of_its_record_only(
    nested: Mapping, map_bytes: MapBytes
) -> None:
    data = child() + b"{not json\n" + b"[1, 2]\n" + child()
    results = map_bytes(nested, data)
    assert [r.record is not None for r in results] == [True, False, False, True]
    assert [r.issues[0].rule for r in results[1:3]] == ["file.json", "file.json"]
    assert results[3].line == 4
    assert results[3].record_number == 4


def test_an_object_where_a_value_belongs_is_an_issue(nested: Mapping, map_bytes: MapBytes) -> None:
    data = child(student={"id": "A1", "name": {"given": {"first": "Lupe"}}})
    (mapped,) = map_bytes(nested, data)
    assert (mapped.issues[0].location, mapped.issues[0].rule) == (
        "record[1].student.name.given",
        "map.type",
    )


def test_an_index_in_a_dotted_path_reads_one_element_of_an_array(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    # Regression: a dotted path could not reach into an array, so WA's surname list
    # (["de la Cruz", "Hernández"]) could not be mapped to last name 1 and 2.
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.last_name_1
            from: name.family[0]
          - to: identity.last_name_2
            from: name.family[1]
        """)
    )
    lines = [
        {"id": "1", "name": {"family": ["de la Cruz", "Hernández"]}},
        {"id": "2", "name": {"family": ["Pierre-Louis"]}},
        {"id": "3", "name": {"family": []}},
        {"id": "4", "name": {"family": None}},
    ]
    data = b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)
    names = []
    for mapped in map_bytes(mapping, data):
        assert not [i for i in mapped.issues if (i.rule or "").startswith("map.")]
        assert mapped.record is not None
        names.append((mapped.record.identity.last_name_1, mapped.record.identity.last_name_2))
    assert names == [
        ("de la Cruz", "Hernández"),
        ("Pierre-Louis", None),
        (None, None),
        (None, None),
    ]

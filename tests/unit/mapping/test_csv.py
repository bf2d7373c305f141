"""The CSV reader through whole mappings: delimiters, quoting, encodings, bad rows and headers."""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hub.errors import Severity
from hub.mapping import FileRejected, Mapping, load_mapping, map_file

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import MapBytes, WriteMapping

COLUMNS = (
    "STU_ID|ACTION|FIRST|SURNAMES|SEX|DOB|QAD|ENROLL_DT|GRADE|IMM1_CVX|IMM1_DT|IMM2_CVX|IMM2_DT"
)


def good_row(number: int) -> str:
    return (
        f"ZZ{number:06d}|A|MARÍA GUADALUPE|DE LA CRUZ HERNÁNDEZ|F|03/14/2012|08/19/2024|"
        "08/26/2024|3|3|20130402|21|20140501"
    )


@pytest.fixture
def pipe_csv(fixtures: Path) -> Mapping:
    return load_mapping(fixtures / "mappings" / "pipe-csv" / "mapping.yaml")


def test_a_good_row_becomes_a_canonical_record(pipe_csv: Mapping, map_bytes: MapBytes) -> None:
    (mapped,) = map_bytes(pipe_csv, f"{COLUMNS}\n{good_row(1)}\n".encode())
    assert mapped.issues == []
    assert (mapped.record_number, mapped.line, mapped.state_student_id) == (1, 2, "ZZ000001")
    record = mapped.record
    assert record is not None
    assert record.key == ("ZZ", "ZZ000001")
    assert (record.identity.first_name, record.identity.last_name_1) == (
        "María Guadalupe",
        "de la Cruz",
    )
    assert record.identity.last_name_2 == "Hernández"
    assert [item.record_id for item in record.immunizations] == ["001", "002"]
    assert record.enrollments[0].grade_level == "03"


def test_1000_good_rows_and_a_few_bad_ones(pipe_csv: Mapping, map_bytes: MapBytes) -> None:
    rows = [good_row(number) for number in range(1, 1001)]
    bad = {
        # record number (1-based, in file order) -> (row, expected (location, rule) pairs)
        101: (good_row(9101).replace("03/14/2012", "02/30/2012"), [("DOB", "map.parse_date")]),
        202: (good_row(9202).replace("|F|", "|X|"), [("SEX", "map.lookup")]),
        303: (good_row(9303) + "|EXTRA", [("", "file.row-shape")]),
        404: (good_row(9404).replace("ZZ009404", " "), [("STU_ID", "map.key")]),
        505: (good_row(9505).replace("|A|", "|Q|"), [("ACTION", "map.action")]),
        606: (good_row(9606).replace("20140501", "2014-05-01"), [("IMM2_DT", "map.parse_date")]),
        707: (
            good_row(9707).replace("|3|3|", "|14|3|"),
            [("GRADE", "map.lookup"), ("GRADE", "mde.code")],
        ),
    }
    for number in sorted(bad):
        rows.insert(number - 1, bad[number][0])
    data = (COLUMNS + "\n" + "\n".join(rows) + "\n").encode()
    results = map_bytes(pipe_csv, data)
    assert len(results) == 1007
    clean = [r for r in results if r.record_number not in bad]
    assert all(r.record is not None and not r.issues for r in clean)
    for number, (_, expected) in bad.items():
        mapped = results[number - 1]
        assert mapped.record_number == number
        assert mapped.line == number + 1
        found = [
            ((issue.location or "").removeprefix(f"record[{number}]").lstrip("."), issue.rule)
            for issue in mapped.issues
        ]
        assert found == expected, (number, mapped.issues)
    assert results[100].values == {"DOB": "02/30/2012"}
    assert results[201].values == {"SEX": "X"}
    assert results[706].values == {"GRADE": "14"}
    pass_through = results[706].issues[0]
    assert pass_through.severity is Severity.WARNING
    assert results[302].record is None


def test_any_delimiter_and_quoting(write_mapping: WriteMapping, map_bytes: MapBytes) -> None:
    mapping = load_mapping(
        write_mapping("""\
            state: ZZ
            format: csv
            csv: {delimiter: ";", quote: "'"}
            record: {key: ID}
            fields:
              - to: identity.first_name
                from: NAME
            """)
    )
    data = "ID;NAME\n1;'Cruz; María'\n2;'Ana\nLuisa'\n3;Lupe\n".encode()
    results = map_bytes(mapping, data)
    names = [r.record.identity.first_name for r in results if r.record is not None]
    assert names == ["Cruz; María", "Ana\nLuisa", "Lupe"]
    assert [r.line for r in results] == [2, 3, 5]


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_single_byte_encodings_read_accented_names(
    write_mapping: WriteMapping, map_bytes: MapBytes, encoding: str
) -> None:
    mapping = load_mapping(
        write_mapping(f"""\
        state: ZZ
        format: csv
        encoding: {encoding}
        record: {{key: ID}}
        fields:
          - to: identity.last_name_1
            from: SURNAMES
            transform: [{{fn: split_surname, part: 1}}]
          - to: identity.last_name_2
            from: SURNAMES
            transform: [{{fn: split_surname, part: 2}}]
        """)
    )
    data = "ID,SURNAMES\n1,NÚÑEZ DE LA PEÑA\n".encode(encoding)
    (mapped,) = map_bytes(mapping, data)
    assert mapped.record is not None
    identity = mapped.record.identity
    assert (identity.last_name_1, identity.last_name_2) == ("NÚÑEZ", "DE LA PEÑA")


def test_a_utf8_byte_order_mark_is_accepted(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: NAME
        """)
    )
    (mapped,) = map_bytes(mapping, codecs.BOM_UTF8 + "ID,NAME\nA1,José\n".encode())
    assert mapped.state_student_id == "A1"
    assert mapped.record is not None
    assert mapped.record.identity.first_name == "José"


def test_undecodable_bytes_reject_the_file_with_line_and_offset(
    write_mapping: WriteMapping,
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: NAME
        """)
    )
    data = "ID,NAME\nA1,José\n".encode() + b"A2,Jos\xe9\n"
    with pytest.raises(FileRejected) as caught:
        list(map_file(mapping, io.BytesIO(data)))
    (issue,) = caught.value.issues
    assert issue.location == "line 3, byte 23"
    assert issue.rule == "file.encoding"
    assert "0xE9" in issue.message


def test_cp1252_refuses_its_undefined_bytes(write_mapping: WriteMapping) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        encoding: cp1252
        record: {key: ID}
        """)
    )
    with pytest.raises(FileRejected, match="not valid cp1252"):
        list(map_file(mapping, io.BytesIO(b"ID\nA\x81\n")))


def test_a_header_missing_columns_rejects_the_file_listing_each(
    pipe_csv: Mapping, map_bytes: MapBytes
) -> None:
    header = COLUMNS.replace("|DOB", "").replace("|GRADE", "")
    with pytest.raises(FileRejected) as caught:
        map_bytes(pipe_csv, f"{header}\n".encode())
    (issue,) = caught.value.issues
    assert issue.message == "columns the mapping reads are missing: DOB, GRADE"
    assert (issue.location, issue.rule) == ("line 1", "file.header")


def test_an_empty_file_is_rejected(pipe_csv: Mapping, map_bytes: MapBytes) -> None:
    with pytest.raises(FileRejected, match="no header row"):
        map_bytes(pipe_csv, b"")


def test_a_file_without_header_uses_declared_columns(
    write_mapping: WriteMapping, map_bytes: MapBytes
) -> None:
    mapping = load_mapping(
        write_mapping("""\
        state: ZZ
        format: csv
        csv: {header: false, columns: [ID, NAME]}
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: NAME
        """)
    )
    (mapped,) = map_bytes(mapping, b"A1,Lupe\n")
    assert mapped.record is not None
    assert mapped.record.identity.first_name == "Lupe"


def test_a_delete_reads_only_the_key(pipe_csv: Mapping, map_bytes: MapBytes) -> None:
    row = "ZZ000009|X|||||||||||"
    (mapped,) = map_bytes(pipe_csv, f"{COLUMNS}\n{row}\n".encode())
    assert mapped.issues == []
    assert mapped.record is not None
    assert mapped.record.action.value == "D"
